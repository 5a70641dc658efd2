import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { affected, rows, SqlParams, whereAll } from '../database/sql';

/** An `audit_log` row as raw SQL answers it (snake_case columns), with its page position. */
export interface AuditRow {
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

export interface AuditFilter {
  entity?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  /** Inclusive lower bound of `at` (ISO 8601). */
  from?: string;
  /** Exclusive upper bound of `at` (ISO 8601). */
  to?: string;
}

const PAGES = new Keyset('at', 'id');

/** The `audit_log` table: appended to (never changed: the database refuses it) and read by filters. */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    entry: {
      actorId: string | null;
      action: string;
      entity: string;
      entityId: string | null;
      requestId: string;
      /** Already serialised JSON. */
      changes: string;
    },
  ): Promise<void> {
    await affected(
      manager,
      'INSERT INTO audit_log (actor_id, action, entity, entity_id, request_id, changes) VALUES ($1, $2, $3, $4, $5, $6)',
      [entry.actorId, entry.action, entry.entity, entry.entityId, entry.requestId, entry.changes],
    );
  }

  /** Newest first, `limit + 1` entries from after `after`. */
  list(filter: AuditFilter, limit: number, after?: CursorPosition): Promise<AuditRow[]> {
    const params = new SqlParams();
    const where = whereAll([
      filter.entity !== undefined && `entity = ${params.add(filter.entity)}`,
      filter.entityId !== undefined && `entity_id = ${params.add(filter.entityId)}`,
      filter.actorId !== undefined && `actor_id = ${params.add(filter.actorId)}`,
      filter.action !== undefined && `action = ${params.add(filter.action)}`,
      filter.from !== undefined && `at >= ${params.add(filter.from)}::timestamptz`,
      filter.to !== undefined && `at < ${params.add(filter.to)}::timestamptz`,
      PAGES.after(after, params),
    ]);
    return rows<AuditRow>(
      this.dataSource,
      `SELECT id, at, actor_id, action, entity, entity_id, request_id, changes, ${PAGES.cursor}
         FROM audit_log ${where} ${PAGES.orderBy} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
  }
}
