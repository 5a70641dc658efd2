import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { startService } from '../helpers/service';
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
