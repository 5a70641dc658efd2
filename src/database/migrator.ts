import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

/** Arbitrary, fixed key of the advisory lock that serialises migration runs across replicas. */
const MIGRATION_LOCK_KEY = 7_264_211_930;

/**
 * Applies pending migrations under a session advisory lock, so replicas starting together (or a
 * hook Job beside a pod) never apply the same migration twice
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 */
export async function runMigrations(dataSource: DataSource, logger: Logger): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET lock_timeout = 0');
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const m of applied) logger.info({ migration: m.name }, 'migration applied');
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** True when every migration the code knows has been applied (readiness). */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
