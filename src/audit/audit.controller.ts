import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { AuditQueryDto } from './audit-query.dto';
import { AuditEntryView, AuditService } from './audit.service';

@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Admin only: the audit trail, newest first, filtered (CONTRACT "Audit"). */
  @Get()
  @Roles('admin')
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    return this.audit.list(query);
  }
}
