import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertInTransaction } from '../database/assert-in-transaction';
import type { AuditAction } from './audit-actions';
import { redactSecrets } from './redact';

export interface AuditEntryInput {
  action: AuditAction;
  /** The user who acted; null for the system or an anonymous caller. */
  actorId: string | null;
  entity: string;
  entityId: string | null;
  requestId: string;
  /** What changed; secrets are dropped by key (src/audit/redact.ts). */
  changes?: Record<string, unknown>;
}

/**
 * The one way to write the audit trail. It joins the caller's transaction and never opens its own:
 * an entry exists exactly when the change it records was committed (CONTRACT "Audit").
 */
@Injectable()
export class AuditWriter {
  async record(manager: EntityManager, entry: AuditEntryInput): Promise<void> {
    assertInTransaction(manager, `AuditWriter.record(${entry.action})`);
    await manager.query(
      'INSERT INTO audit_log (actor_id, action, entity, entity_id, request_id, changes) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        entry.actorId,
        entry.action,
        entry.entity,
        entry.entityId,
        entry.requestId,
        JSON.stringify(redactSecrets(entry.changes ?? {})),
      ],
    );
  }
}
