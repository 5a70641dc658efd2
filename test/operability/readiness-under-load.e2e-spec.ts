import { DataSource, QueryRunner } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { adminQuery } from '../helpers/database';

/**
 * Readiness answers whether the database answers, not whether the pool is momentarily full: with
 * every pooled connection busy, the probe (its own connection) still says 200, so a burst never
 * pulls every busy replica out of rotation at once.
 */
describe('readiness while the pool is saturated (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ dbPoolMax: 3 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('stays 200 while every pooled connection is busy, and 503 when the database refuses', async () => {
    const ds = t.app.get(DataSource);
    const runners: QueryRunner[] = [];
    for (let i = 0; i < 3; i += 1) {
      const runner = ds.createQueryRunner();
      await runner.connect();
      runners.push(runner);
    }
    const busy = runners.map((r) => r.query('SELECT pg_sleep(2.5)'));
    try {
      const ready = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    } finally {
      await Promise.all(busy);
      await Promise.all(runners.map((r) => r.release()));
    }

    await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS false`);
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [t.db.name],
    );
    try {
      const down = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    } finally {
      await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS true`);
    }
    const back = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(back.statusCode).toBe(200);
  });
});
