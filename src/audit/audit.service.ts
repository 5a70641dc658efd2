import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  cursorMicrosSql,
  cursorTimestampSql,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  toPage,
} from '../common/pagination/cursor';
import type { AuditEntryView } from './audit-entry.view';
import type { AuditQueryDto } from './audit-query.dto';

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  request_id: string;
  changes: Record<string, unknown>;
  cursorMicros: string;
}

/** Reads the audit trail (writing is `AuditWriter`'s alone). */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async list(query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.entity !== undefined) where.push(`entity = ${param(query.entity)}`);
    if (query.entityId !== undefined) where.push(`entity_id = ${param(query.entityId)}`);
    if (query.actorId !== undefined) where.push(`actor_id = ${param(query.actorId)}`);
    if (query.action !== undefined) where.push(`action = ${param(query.action)}`);
    if (query.from !== undefined) where.push(`at >= ${param(query.from)}::timestamptz`);
    if (query.to !== undefined) where.push(`at < ${param(query.to)}::timestamptz`);
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor);
      where.push(`(at, id) < (${cursorTimestampSql(param(position.atMicros))}, ${param(position.id)}::uuid)`);
    }
    const rows = (await this.dataSource.query(
      `SELECT id, at, actor_id, action, entity, entity_id, request_id, changes, ${cursorMicrosSql('at')} AS "cursorMicros"
         FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC
        LIMIT ${param(limit + 1)}`,
      params,
    )) as AuditRow[];
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
