import type { Logger } from 'pino';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import type { MigrationConfig } from '../config/config';
import { runUnbounded } from './wait-budget';

/** Arbitrary, fixed key of the advisory lock that serialises migration runs across replicas. */
const MIGRATION_LOCK_KEY = 7_264_211_930;
/** SQLSTATE lock_not_available: a statement gave up after `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';
/** Pause before retry n (1-based) is this × 2^(n-1), capped below. */
const RETRY_BASE_PAUSE_MS = 1000;
const RETRY_MAX_PAUSE_MS = 30_000;

type Pause = (ms: number) => Promise<void>;

const sleep: Pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pause before retry `n` (1-based) of a migration that could not get its lock: 1 s, 2 s, 4 s … 30 s. */
export function retryPauseMs(n: number): number {
  return Math.min(RETRY_MAX_PAUSE_MS, RETRY_BASE_PAUSE_MS * 2 ** (n - 1));
}

export function isLockTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  return e.code === LOCK_NOT_AVAILABLE || e.driverError?.code === LOCK_NOT_AVAILABLE;
}

/**
 * Applies pending migrations under a session advisory lock, so replicas starting together (or a
 * hook Job beside a pod) never apply the same migration twice
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 *
 * Migrations run beside live traffic (the active colour keeps serving). A DDL statement that waits
 * for a lock makes every later query on that table queue behind it, so each migration statement
 * runs with `lock_timeout = policy.lockTimeoutMs`: a migration that cannot get its lock in time is
 * rolled back (one transaction per migration) and tried again after a growing pause, at most
 * `policy.lockRetries` more times; then it fails, and the hook Job with it — the release does not go
 * ahead, the running colour is untouched. Waiting for another migrator's advisory lock is not
 * bounded here (it blocks no traffic); the Job's deadline bounds it.
 *
 * Migration statements are the one kind of database work with no client-side bound
 * (wait-budget.ts): a long index build is expected to take longer than a request's budget, and the
 * startup probe or the Job's deadline decides how long a migrating process may take.
 */
export async function runMigrations(
  dataSource: DataSource,
  logger: Logger,
  policy: MigrationConfig,
  pause: Pause = sleep,
): Promise<string[]> {
  return runUnbounded(() => migrate(dataSource, logger, policy, pause));
}

/**
 * Undoes the last applied migration (its `down`), under the same advisory lock, `lock_timeout` and
 * bounded retries as applying (`npm run migrate -- --revert`). Answers its name, or undefined when
 * none was applied.
 */
export async function revertLastMigration(
  dataSource: DataSource,
  logger: Logger,
  policy: MigrationConfig,
  pause: Pause = sleep,
): Promise<string | undefined> {
  return runUnbounded(() =>
    withMigrationLock(dataSource, policy, async (runner) => {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = async () => new Set((await executor.getExecutedMigrations()).map((m) => m.name));
      const before = await applied();
      if (before.size === 0) return undefined;
      await withLockRetries(logger, policy, pause, () => executor.undoLastMigration());
      const after = await applied();
      const reverted = [...before].find((name) => !after.has(name));
      logger.info({ migration: reverted }, 'migration reverted');
      return reverted;
    }),
  );
}

async function migrate(
  dataSource: DataSource,
  logger: Logger,
  policy: MigrationConfig,
  pause: Pause,
): Promise<string[]> {
  return withMigrationLock(dataSource, policy, async (runner) => {
    const applied = await applyWithRetries(dataSource, runner, logger, policy, pause);
    for (const name of applied) logger.info({ migration: name }, 'migration applied');
    return applied;
  });
}

/**
 * Runs `work` on one connection holding the migration advisory lock (waiting for it without bound:
 * it blocks no traffic), with the policy's `lock_timeout` for every statement of the work.
 */
async function withMigrationLock<T>(
  dataSource: DataSource,
  policy: MigrationConfig,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query('SET lock_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await runner.query(`SELECT set_config('lock_timeout', $1, false)`, [`${policy.lockTimeoutMs}ms`]);
      return await work(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** Runs `attempt` again after a growing pause while it gives up on `lock_timeout`, at most `lockRetries` more times. */
async function withLockRetries(
  logger: Logger,
  policy: MigrationConfig,
  pause: Pause,
  attempt: () => Promise<void>,
): Promise<void> {
  for (let retry = 1; ; retry += 1) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (!isLockTimeout(error) || retry > policy.lockRetries) throw error;
      const pauseMs = retryPauseMs(retry);
      logger.warn(
        { lockTimeoutMs: policy.lockTimeoutMs, retry, of: policy.lockRetries, pauseMs },
        'migration gave up waiting for a lock (live queries were not held up longer); retrying',
      );
      await pause(pauseMs);
    }
  }
}

async function applyWithRetries(
  dataSource: DataSource,
  runner: QueryRunner,
  logger: Logger,
  policy: MigrationConfig,
  pause: Pause,
): Promise<string[]> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = 'each';
  // Nobody else migrates while the advisory lock is held: what is pending now is what gets applied.
  const pending = (await executor.getPendingMigrations()).map((m) => m.name);
  await withLockRetries(logger, policy, pause, async () => {
    await executor.executePendingMigrations();
  });
  return pending;
}
