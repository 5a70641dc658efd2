import type { EntityManager } from 'typeorm';

/**
 * Raw SQL that answers rows, whatever the statement. TypeORM's `query()` answers `[rows, rowCount]`
 * for UPDATE and DELETE (even with RETURNING) but plain rows for SELECT and INSERT; this always
 * answers the rows. Joins the manager's transaction when it has one.
 */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
