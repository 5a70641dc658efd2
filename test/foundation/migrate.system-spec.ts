import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DIST_DIR, startService } from '../helpers/service';
import { TEST_JWT_SECRET } from '../helpers/app';

async function tables(url: string): Promise<{ tables: string[]; migrations: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const t = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    const m = t.rows.some((r) => r.tablename === 'migrations')
      ? await client.query('SELECT count(*)::int AS n FROM migrations')
      : { rows: [{ n: 0 }] };
    return { tables: t.rows.map((r) => r.tablename), migrations: (m.rows[0] as { n: number }).n };
  } finally {
    await client.end();
  }
}

describe('migrations (system)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('`migrate` applies every migration once and is a no-op the second time', async () => {
    const env = { DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET };
    const first = await startService({ script: 'database/migrate.js', env, waitFor: false });
    expect(await first.exited).toBe(0);
    const after = await tables(db.url);
    expect(after.tables).toEqual(expect.arrayContaining(['migrations', 'users', 'audit_log']));
    expect(after.migrations).toBeGreaterThan(0);

    const second = await startService({ script: 'database/migrate.js', env, waitFor: false });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('database schema is up to date');
    expect((await tables(db.url)).migrations).toBe(after.migrations);
  });

  it('`migration:revert` (migrate.js --revert) undoes the last migration only, and `migrate` applies it again', async () => {
    const env = { DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET };
    expect(await (await startService({ script: 'database/migrate.js', env, waitFor: false })).exited).toBe(0);
    const applied = (await tables(db.url)).migrations;
    const revert = await startService({
      script: 'database/migrate.js',
      args: ['--revert'],
      env,
      waitFor: false,
    });
    expect(await revert.exited).toBe(0);
    expect(revert.output()).toContain('migration reverted');
    expect((await tables(db.url)).migrations).toBe(applied - 1);
    const again = await startService({ script: 'database/migrate.js', env, waitFor: false });
    expect(await again.exited).toBe(0);
    expect((await tables(db.url)).migrations).toBe(applied);
  });

  it('`migration:draft` (the TypeORM CLI on dist/database/data-source.js) finds nothing to draft on a migrated database', async () => {
    const env = { DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET };
    expect(await (await startService({ script: 'database/migrate.js', env, waitFor: false })).exited).toBe(0);
    const cli = join(__dirname, '..', '..', 'node_modules', 'typeorm', 'cli.js');
    const check = (url: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [cli, 'migration:generate', 'Draft', '-d', join(DIST_DIR, 'database', 'data-source.js'), '--check'],
          { env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET } },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
    const migrated = await check(db.url);
    expect(migrated.out).toContain('No changes in database schema were found');
    expect(migrated.code).toBe(0);
    // On a database nobody migrated, it would draft the whole schema: the check fails.
    const empty = await createTestDatabase();
    try {
      expect((await check(empty.url)).code).not.toBe(0);
    } finally {
      await empty.drop();
    }
  });

  it('with MIGRATE_ON_BOOT=false the service leaves the schema alone and is not ready', async () => {
    const service = await startService({
      env: {
        DATABASE_URL: db.url,
        JWT_SECRET: TEST_JWT_SECRET,
        MIGRATE_ON_BOOT: 'false',
        SHUTDOWN_DELAY_MS: '0',
      },
    });
    try {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect((await tables(db.url)).tables).not.toContain('users');
    } finally {
      await service.stop();
    }
  });
});
