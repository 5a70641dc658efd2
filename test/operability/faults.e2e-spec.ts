import { createTestApp, TestApp } from '../helpers/app';

/** Fault injection for rollout rehearsals (docs/operations.md, "Fault injection"; podinfo's `faults`). */
describe('fault injection (e2e)', () => {
  const REQUESTS = 400;

  async function answers(
    t: TestApp,
    url: string,
    n: number,
  ): Promise<Array<{ status: number; code?: string }>> {
    const out: Array<{ status: number; code?: string }> = [];
    for (let i = 0; i < n; i += 1) {
      const res = await t.inject({ method: 'GET', url });
      const json = /json/.test(String(res.headers['content-type'])) ? (res.json() as { code?: string }) : {};
      out.push({ status: res.statusCode, code: json.code });
    }
    return out;
  }

  describe('with FAULT_ERROR_RATE=0.5', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ faults: { enabled: true, errorRate: 0.5, latencyMs: 0 } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('fails about half of 400 /v1 requests with a 500 FAULT_INJECTED problem', async () => {
      const results = await answers(t, '/v1/anything', REQUESTS);
      const injected = results.filter((r) => r.status === 500 && r.code === 'FAULT_INJECTED').length;
      // Binomial(400, 0.5): mean 200, sd 10; 150..250 is ±5 sd (a false failure ~1 in 1.7 million runs).
      expect(injected).toBeGreaterThanOrEqual(150);
      expect(injected).toBeLessThanOrEqual(250);
      // The rest reached the application normally (no such route: 404).
      expect(results.filter((r) => r.status === 404).length).toBe(REQUESTS - injected);
    });

    it('answers the injected fault as an RFC 9457 problem with the request id', async () => {
      let res;
      do
        res = await t.inject({
          method: 'GET',
          url: '/v1/anything',
          headers: { 'x-request-id': 'fault-check' },
        });
      while (res.statusCode !== 500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 500, code: 'FAULT_INJECTED', requestId: 'fault-check' });
    });

    it('never touches probes, metrics or docs', async () => {
      for (const url of ['/health/live', '/metrics', '/v1x', '/docs/openapi.json']) {
        const results = await answers(t, url, 40);
        expect(results.filter((r) => r.code === 'FAULT_INJECTED')).toEqual([]);
      }
    });

    it('counts injected faults in the RED metrics under their route, as a rollout gate sees them', async () => {
      const text = (await t.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(/http_requests_total\{[^}]*route="unmatched"[^}]*status_code="500"[^}]*\} [1-9]/);
    });
  });

  describe('with FAULT_LATENCY_MS=150', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ faults: { enabled: true, errorRate: 0, latencyMs: 150 } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('delays /v1 requests by at least the configured time and fails none', async () => {
      const started = Date.now();
      const results = await answers(t, '/v1/anything', 5);
      expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 150);
      expect(results.every((r) => r.status === 404)).toBe(true);
    });
  });

  describe('with faults off (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('fails none of 400 requests', async () => {
      expect(t.config.faults.enabled).toBe(false);
      const results = await answers(t, '/v1/anything', REQUESTS);
      expect(results.filter((r) => r.status === 500 || r.code === 'FAULT_INJECTED')).toEqual([]);
    });

    it('ignores a rate and latency when FAULTS_ENABLED is false', async () => {
      const t2 = await createTestApp({ faults: { enabled: false, errorRate: 1, latencyMs: 0 } });
      try {
        const results = await answers(t2, '/v1/anything', 50);
        expect(results.filter((r) => r.code === 'FAULT_INJECTED')).toEqual([]);
      } finally {
        await t2.close();
      }
    });
  });
});
