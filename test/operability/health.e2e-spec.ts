import { DataSource } from 'typeorm';
import { Lifecycle } from '../../src/common/lifecycle';
import { createTestApp, TestApp } from '../helpers/app';
import { adminQuery } from '../helpers/database';
import { METRIC_NAMES } from '../../src/metrics/metric-names';
import { parseMetrics, sampleValue } from '../helpers/prom-text';

/** Liveness and readiness (docs/operations.md, "Health") in Terminus' JSON shape. */
describe('health (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ appVersion: '1.2.3', releaseColor: 'green', rateLimitPerMinute: 3 });
  });
  afterEach(async () => {
    await t.close();
  });

  it('live: 200 with version and colour', async () => {
    const res = await t.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      info: { app: { status: 'up', version: '1.2.3', color: 'green' } },
      error: {},
      details: { app: { status: 'up', version: '1.2.3', color: 'green' } },
    });
  });

  it('ready: 200 when the database answers, migrations are applied and no shutdown is under way', async () => {
    const res = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      info: { shutdown: { status: 'up' }, database: { status: 'up' }, migrations: { status: 'up' } },
      error: {},
    });
  });

  it('ready: 503 at once when a shutdown begins, while live stays 200 and answers ask clients to reconnect', async () => {
    t.app.get(Lifecycle).beginShutdown();
    const ready = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
    expect(ready.json()).toMatchObject({
      status: 'error',
      error: { shutdown: { status: 'down' } },
      info: { database: { status: 'up' } },
    });
    const live = await t.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.headers.connection).toBe('close');
    expect(t.logs.some((l) => l.msg === 'readiness: not ready' && l.failure === 'shutdown')).toBe(true);
  });

  it('ready: 503 while a migration the code knows is not applied', async () => {
    const ds = t.app.get(DataSource);
    const [latest] = (await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as Array<{
      name: string;
    }>;
    await ds.query('DELETE FROM migrations WHERE name = $1', [latest.name]);
    const res = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'error',
      error: { migrations: { status: 'down', message: '1 migration(s) not applied' } },
    });
  });

  it('is never rate limited', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i += 1) {
      for (const url of ['/health/live', '/health/ready', '/metrics'])
        statuses.push((await t.inject({ method: 'GET', url })).statusCode);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('ready: 503 with a fixed message when the database refuses connections; live stays 200', async () => {
    await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS false`);
    await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
      t.db.name,
    ]);
    try {
      const ready = await t.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'error',
        error: { database: { status: 'down', message: 'database not answering' } },
      });
      expect(ready.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/);
      expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS true`);
    }
    // And it recovers by itself.
    expect((await t.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });

  it('counts changes of the readiness answer, not probes (bulwark_readiness_transitions_total)', async () => {
    const transitions = async () => {
      const samples = parseMetrics((await t.inject({ method: 'GET', url: '/metrics' })).body);
      const to = (state: string) =>
        sampleValue(samples, METRIC_NAMES.readinessTransitionsTotal, { to: state });
      return { ready: to('ready'), not_ready: to('not_ready') };
    };
    const ready = async () => (await t.inject({ method: 'GET', url: '/health/ready' })).statusCode;
    // The first answer is a start, not a change; repeated answers change nothing.
    expect(await transitions()).toEqual({ ready: 0, not_ready: 0 });
    expect([await ready(), await ready()]).toEqual([200, 200]);
    expect(await transitions()).toEqual({ ready: 0, not_ready: 0 });
    // ready → not ready → ready, twice: four changes however many probes.
    for (let i = 0; i < 2; i += 1) {
      await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS false`);
      await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        t.db.name,
      ]);
      try {
        expect([await ready(), await ready()]).toEqual([503, 503]);
      } finally {
        await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS true`);
      }
      expect([await ready(), await ready()]).toEqual([200, 200]);
    }
    expect(await transitions()).toEqual({ ready: 2, not_ready: 2 });
  });
});
