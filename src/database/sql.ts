import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Where a statement runs: the pool (a DataSource) or a transaction's manager (joins it). */
export type Db = DataSource | EntityManager;

const isManager = (db: Db): db is EntityManager => 'queryRunner' in db || 'dataSource' in db;

/**
 * The one way the repositories read what a raw statement answered. TypeORM's `query()` answers plain
 * rows for SELECT and INSERT but `[rows, rowCount]` for UPDATE and DELETE (even with RETURNING), so
 * reading its answer directly needs to know the statement's kind; its structured result has the rows
 * and the row count for every kind, and is what these helpers read.
 */
async function execute(db: Db, sql: string, params: unknown[]): Promise<{ rows: unknown[]; count: number }> {
  const own: QueryRunner | undefined = isManager(db) ? db.queryRunner : undefined;
  const runner = own ?? (isManager(db) ? db.dataSource : db).createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    const rows = (result.records ?? []) as unknown[];
    return { rows, count: typeof result.affected === 'number' ? result.affected : rows.length };
  } finally {
    if (!own) await runner.release();
  }
}

/** Every row the statement answered (SELECT, or any statement with RETURNING). */
export async function rows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await execute(db, sql, params)).rows as T[];
}

/** The first row the statement answered, or undefined when it answered none. */
export async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await execute(db, sql, params)).rows[0] as T | undefined;
}

/** How many rows the statement inserted, updated or deleted. */
export async function affected(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  return (await execute(db, sql, params)).count;
}

/** Numbered parameters (`$1`, `$2`, …) for a statement assembled from optional parts. */
export class SqlParams {
  readonly values: unknown[];

  constructor(...initial: unknown[]) {
    this.values = initial;
  }

  /** Adds a value; answers its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `WHERE a AND b` of the conditions given (absent ones skipped), or nothing. */
export function whereAll(conditions: Array<string | null | undefined | false>): string {
  const present = conditions.filter((c): c is string => typeof c === 'string' && c.length > 0);
  return present.length > 0 ? `WHERE ${present.join(' AND ')}` : '';
}
