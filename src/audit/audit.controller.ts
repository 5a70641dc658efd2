import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiPageResponse } from '../common/decorators/api-page-response.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { AuditEntryView } from './audit-entry.view';
import { AuditQueryDto } from './dto/audit-query.dto';
import { AuditService } from './audit.service';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Admin only: the audit trail, newest first, filtered (docs/audit.md). */
  @Get()
  @Roles('admin')
  @Operation('listAuditEntries', 'Read the audit trail', 'Every change of state, filtered; newest first.')
  @ApiPageResponse(AuditEntryView)
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    return this.audit.list(query);
  }
}
