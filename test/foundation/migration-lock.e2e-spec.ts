import { Client } from 'pg';
import pino from 'pino';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { isLockTimeout, retryPauseMs, revertLastMigration, runMigrations } from '../../src/database/migrator';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/**
 * Migrations beside live traffic: a migration that needs a lock a live transaction holds gives up
 * after `lock_timeout` (so the queries queued behind it are not held up longer), is rolled back, and
 * is tried again after a pause — a bounded number of times. Real PostgreSQL; the pause is injected so
 * the spec decides when the "live traffic" lets go, rather than sleeping.
 */
class AddNoteColumn1900000000000 implements MigrationInterface {
  name = 'AddNoteColumn1900000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE widgets ADD COLUMN note text');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE widgets DROP COLUMN note');
  }
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('migrations with lock_timeout and a bounded retry (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let traffic: Client;

  beforeEach(async () => {
    db = await createTestDatabase();
    const setup = await connect(db.url);
    await setup.query('CREATE TABLE widgets (id int PRIMARY KEY)');
    await setup.end();
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: [AddNoteColumn1900000000000],
      migrationsTableName: 'migrations',
    });
    await dataSource.initialize();
    // Live traffic: an open transaction that read the table holds ACCESS SHARE, which conflicts with
    // the ACCESS EXCLUSIVE lock ALTER TABLE needs.
    traffic = await connect(db.url);
    await traffic.query('BEGIN');
    await traffic.query('SELECT count(*) FROM widgets');
  });

  afterEach(async () => {
    await traffic.end().catch(() => undefined);
    await dataSource.destroy();
    await db.drop();
  });

  const columns = async () =>
    (
      await dataSource.query<{ column_name: string }[]>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY 1`,
      )
    ).map((r) => r.column_name);

  it('gives up waiting, pauses, and succeeds once the live transaction has ended', async () => {
    const { logger, lines } = capturingLogger();
    const pauses: number[] = [];
    const applied = await runMigrations(
      dataSource,
      logger,
      { lockTimeoutMs: 100, lockRetries: 3 },
      async (ms) => {
        pauses.push(ms);
        if (pauses.length === 2) await traffic.query('COMMIT'); // traffic moves on after two tries
      },
    );
    expect(applied).toEqual(['AddNoteColumn1900000000000']);
    expect(pauses).toEqual([retryPauseMs(1), retryPauseMs(2)]);
    expect(await columns()).toEqual(['id', 'note']);
    const retries = lines.filter((l) => String(l.msg).startsWith('migration gave up waiting for a lock'));
    expect(retries.map((l) => l.retry)).toEqual([1, 2]);
    expect(lines.some((l) => l.msg === 'migration applied' && l.migration === applied[0])).toBe(true);
  });

  it('fails after the last retry, leaving nothing half-applied and the lock free for the next run', async () => {
    const { logger } = capturingLogger();
    const pauses: number[] = [];
    const error = await runMigrations(
      dataSource,
      logger,
      { lockTimeoutMs: 100, lockRetries: 2 },
      async (ms) => {
        pauses.push(ms);
      },
    ).catch((e: unknown) => e);
    expect(isLockTimeout(error)).toBe(true);
    expect(pauses).toHaveLength(2); // 1 try + 2 retries
    expect(await columns()).toEqual(['id']);
    expect(await dataSource.query('SELECT name FROM migrations')).toEqual([]);

    // The live transaction was never blocked for good: it still works, and once it ends the next
    // run (a new hook Job) gets the advisory lock and applies the migration.
    await traffic.query('SELECT count(*) FROM widgets');
    await traffic.query('COMMIT');
    expect(await runMigrations(dataSource, logger, { lockTimeoutMs: 100, lockRetries: 0 })).toEqual([
      'AddNoteColumn1900000000000',
    ]);
  });

  it('never retries a migration that fails for another reason', async () => {
    await traffic.query('COMMIT');
    await dataSource.query('ALTER TABLE widgets ADD COLUMN note text'); // the column exists already
    const pauses: number[] = [];
    const error = await runMigrations(
      dataSource,
      pino({ level: 'silent' }),
      { lockTimeoutMs: 100, lockRetries: 5 },
      async (ms) => {
        pauses.push(ms);
      },
    ).catch((e: unknown) => e);
    expect(String(error)).toMatch(/already exists/);
    expect(isLockTimeout(error)).toBe(false);
    expect(pauses).toEqual([]);
  });

  it('reverts (npm run migration:revert) under the same lock_timeout and retries, and only what was applied', async () => {
    await traffic.query('COMMIT');
    const silent = pino({ level: 'silent' });
    expect(
      await revertLastMigration(dataSource, silent, { lockTimeoutMs: 100, lockRetries: 0 }),
    ).toBeUndefined();
    await runMigrations(dataSource, silent, { lockTimeoutMs: 100, lockRetries: 0 });
    await traffic.query('BEGIN');
    await traffic.query('SELECT count(*) FROM widgets');
    const { logger, lines } = capturingLogger();
    const pauses: number[] = [];
    const reverted = await revertLastMigration(
      dataSource,
      logger,
      { lockTimeoutMs: 100, lockRetries: 3 },
      async (ms) => {
        pauses.push(ms);
        await traffic.query('COMMIT'); // traffic moves on after the first try
      },
    );
    expect(reverted).toBe('AddNoteColumn1900000000000');
    expect(pauses).toEqual([retryPauseMs(1)]);
    expect(await columns()).toEqual(['id']);
    expect(await dataSource.query('SELECT name FROM migrations')).toEqual([]);
    expect(lines.some((l) => l.msg === 'migration reverted' && l.migration === reverted)).toBe(true);
  });

  it('pauses 1 s, 2 s, 4 s … and never more than 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryPauseMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
