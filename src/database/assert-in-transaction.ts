import type { EntityManager } from 'typeorm';

/**
 * For writers that join the caller's transaction and never open their own (audit, outbox): refuses a
 * manager that is not inside an active transaction, before anything is written. `who` names the
 * call in the error, e.g. `AuditWriter.record(order.created)`.
 */
export function assertInTransaction(manager: EntityManager, who: string): void {
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error(`${who} must be called inside the transaction of the change it records`);
  }
}
