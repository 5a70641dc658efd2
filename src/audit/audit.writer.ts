import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { assertInTransaction } from '../database/assert-in-transaction';
import type { AuditAction } from './audit-actions';
import { AuditRepository } from './audit.repository';
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
 * an entry exists exactly when the change it records was committed (docs/audit.md, "Guarantees").
 */
@Injectable()
export class AuditWriter {
  constructor(private readonly audit: AuditRepository) {}

  async record(manager: EntityManager, entry: AuditEntryInput): Promise<void> {
    assertInTransaction(manager, `AuditWriter.record(${entry.action})`);
    await this.audit.insert(manager, {
      actorId: entry.actorId,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId,
      requestId: entry.requestId,
      changes: JSON.stringify(redactSecrets(entry.changes ?? {})),
    });
  }
}

/** The writer for a program that runs without the Nest application (first-admin bootstrap, admin:create). */
export function standaloneAuditWriter(dataSource: DataSource): AuditWriter {
  return new AuditWriter(new AuditRepository(dataSource));
}
