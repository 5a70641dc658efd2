import { randomUUID } from 'node:crypto';
import { MetricsService } from '../../src/metrics/metrics.service';
import { METRIC_NAMES } from '../../src/metrics/metric-names';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInUser } from '../helpers/auth';
import { parseMetrics, Sample, sampleValue } from '../helpers/prom-text';

/** `/metrics` (docs/operations.md, "Metrics"): exact RED counts by route template, bounded labels, every series labelled. */
describe('Prometheus metrics (e2e)', () => {
  let t: TestApp;
  const rawIds = [randomUUID(), randomUUID(), '12345'];

  async function scrape(): Promise<Sample[]> {
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(res.body);
  }

  beforeAll(async () => {
    t = await createTestApp({ appVersion: '9.9.9-test', releaseColor: 'green' });
    // The known set of requests, on a fresh app (its registry is its own).
    for (let i = 0; i < 3; i += 1) await t.inject({ method: 'GET', url: '/health/live' });
    for (let i = 0; i < 2; i += 1) await t.inject({ method: 'GET', url: '/health/ready' });
    for (const id of rawIds) await t.inject({ method: 'GET', url: `/v1/no-such-thing/${id}?q=${id}` });
    await t.inject({ method: 'DELETE', url: `/health/live` });
    await t.inject({
      method: 'POST',
      url: `/v1/${rawIds[0]}`,
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(200 * 1024),
    });
    // A matched route with a raw id in the path, rejected by a guard (403: admin only), twice.
    const user = await signedInUser(t); // one register (201) and one successful login (200)
    for (const id of rawIds.slice(0, 2))
      await t.inject({ method: 'GET', url: `/v1/users/${id}`, headers: user.auth });
    await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: user.email, password: 'not-the-password' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts the requests exactly by method, route template and status code', async () => {
    const samples = await scrape();
    const count = (method: string, route: string, status: number): number =>
      sampleValue(samples, METRIC_NAMES.httpRequestsTotal, { method, route, status_code: String(status) });
    expect(count('GET', '/health/live', 200)).toBe(3);
    expect(count('GET', '/health/ready', 200)).toBe(2);
    // Every unmatched path shares one route value, whatever its raw path.
    expect(count('GET', 'unmatched', 404)).toBe(rawIds.length);
    expect(count('DELETE', 'unmatched', 404)).toBe(1);
    expect(count('POST', 'unmatched', 413)).toBe(1);
    expect(count('GET', '/v1/users/:id', 403)).toBe(2);
    expect(count('POST', '/v1/auth/register', 201)).toBe(1);
    expect(count('POST', '/v1/auth/login', 200)).toBe(1);
    expect(count('POST', '/v1/auth/login', 401)).toBe(1);
    // The histogram agrees with the counter.
    expect(
      sampleValue(samples, `${METRIC_NAMES.httpRequestDurationSeconds}_count`, {
        method: 'GET',
        route: '/health/live',
        status_code: '200',
      }),
    ).toBe(3);
    expect(
      sampleValue(samples, `${METRIC_NAMES.httpRequestDurationSeconds}_bucket`, {
        method: 'GET',
        route: '/health/live',
        status_code: '200',
        le: '+Inf',
      }),
    ).toBe(3);
  });

  it('labels every series with app_version and color', async () => {
    const samples = await scrape();
    expect(samples.length).toBeGreaterThan(50);
    const unlabelled = samples.filter(
      (s) => s.labels.app_version !== '9.9.9-test' || s.labels.color !== 'green',
    );
    expect(unlabelled).toEqual([]);
  });

  it('never puts a raw id or query string in a label', async () => {
    const samples = await scrape();
    const values = samples.flatMap((s) => Object.values(s.labels));
    for (const id of rawIds) expect(values.filter((v) => v.includes(id))).toEqual([]);
    expect(values.filter((v) => v.includes('?'))).toEqual([]);
    expect(
      values.filter((v) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(v)),
    ).toEqual([]);
    const routes = new Set(
      samples.filter((s) => s.name === METRIC_NAMES.httpRequestsTotal).map((s) => s.labels.route),
    );
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
  });

  it('exports the business counters, pool gauges and Node defaults of the contract', async () => {
    const samples = await scrape();
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      METRIC_NAMES.ordersCreatedTotal,
      METRIC_NAMES.ordersCancelledTotal,
      METRIC_NAMES.orderStockConflictsTotal,
      METRIC_NAMES.idempotencyReplaysTotal,
      METRIC_NAMES.authLoginsTotal,
      METRIC_NAMES.webhookDeliveriesTotal,
      METRIC_NAMES.outboxOldestPendingAgeSeconds,
      METRIC_NAMES.dbPoolConnections,
      METRIC_NAMES.dbPoolWaitingRequests,
      METRIC_NAMES.dbPoolMaxConnections,
      METRIC_NAMES.readinessTransitionsTotal,
      METRIC_NAMES.buildInfo,
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect({ name, present: names.has(name) }).toEqual({ name, present: true });
    }
    expect(sampleValue(samples, METRIC_NAMES.authLoginsTotal, { result: 'success' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.authLoginsTotal, { result: 'failure' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.dbPoolMaxConnections)).toBe(t.config.dbPoolMax);
    // bulwark_build_info{version, node_version, app_version, color} 1
    const build = samples.filter((s) => s.name === METRIC_NAMES.buildInfo);
    expect(build).toEqual([
      {
        name: 'bulwark_build_info',
        labels: {
          version: t.config.appVersion,
          node_version: process.version,
          app_version: t.config.appVersion,
          color: t.config.releaseColor,
        },
        value: 1,
      },
    ]);
    // Everything Bulwark-specific carries the application prefix; HTTP and Node series keep theirs.
    for (const [key, name] of Object.entries(METRIC_NAMES)) {
      const conventional = key === 'httpRequestsTotal' || key === 'httpRequestDurationSeconds';
      expect({ name, prefixed: name.startsWith('bulwark_') }).toEqual({ name, prefixed: !conventional });
    }
    expect(sampleValue(samples, METRIC_NAMES.dbPoolConnections, { state: 'total' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('reflects business events and the outbox age provider at the next scrape', async () => {
    const metrics = t.app.get(MetricsService);
    metrics.ordersCreated.inc();
    metrics.loginAttempt('failure');
    metrics.webhookDelivery('dead');
    metrics.setOutboxAgeProvider(() => 42);
    const samples = await scrape();
    expect(sampleValue(samples, METRIC_NAMES.ordersCreatedTotal)).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.authLoginsTotal, { result: 'failure' })).toBe(2);
    expect(sampleValue(samples, METRIC_NAMES.webhookDeliveriesTotal, { result: 'dead' })).toBe(1);
    expect(sampleValue(samples, METRIC_NAMES.outboxOldestPendingAgeSeconds)).toBe(42);
  });
});
