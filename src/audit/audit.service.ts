import { Injectable } from '@nestjs/common';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '../common/pagination/cursor';
import type { AuditEntryView } from './audit-entry.view';
import { AuditRepository } from './audit.repository';
import type { AuditQueryDto } from './dto/audit-query.dto';

/** Reads the audit trail (writing is `AuditWriter`'s alone). */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  async list(query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { cursor, limit: _limit, ...filter } = query;
    const rows = await this.audit.list(
      filter,
      limit,
      cursor === undefined ? undefined : decodeCursor(cursor),
    );
    return toPage(rows, limit, (row) => ({
      id: row.id,
      at: row.at.toISOString(),
      actorId: row.actor_id,
      action: row.action,
      entity: row.entity,
      entityId: row.entity_id,
      requestId: row.request_id,
      changes: row.changes,
    }));
  }
}
