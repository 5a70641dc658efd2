import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInUser, SignedIn } from '../helpers/auth';
import { UNLIMITED } from '../helpers/catalog';
import { deepArrays, deepItems, manyItems, manyUnknownKeys } from '../helpers/bodies';

/** The bound the issue demands on `/health/live` while the worst bodies are being refused. */
const LIVENESS_BOUND_MS = 50;
/** Wall-clock ceiling: far above the bound, far below the 2–6 s stalls of the finding. */
const WALL_CEILING_MS = 1000;
const ATTEMPTS = 5;

interface Sample {
  /** Main-thread CPU time spent while the slowest liveness request was outstanding (ms). */
  cpuMs: number;
  /** Wall-clock time of the slowest liveness request (ms). */
  wallMs: number;
  answered: number;
}

/**
 * Issue 14, finding 1: one request stalled the process (`/health/live` waited 2.8 s; 6 s with five
 * such bodies). Here five of the worst bodies are sent at once over real connections while
 * `/health/live` is asked again and again until all five are answered.
 *
 * How long a liveness answer waits is the event loop's blocking plus the time the machine did not
 * run this process at all. The second part is the machine's business, so the bound is checked on the
 * first: the main thread's own CPU time (`process.threadCpuUsage`) while each liveness request was
 * outstanding, which is what it would have waited on an idle core. It must stay within 50 ms in the
 * best of five attempts (the first may pay for compiling code). The wall-clock wait is checked too,
 * against a ceiling a loaded machine meets and a stall does not. A control run with a 300 ms block of
 * the loop shows the measurement fails a product that blocks.
 */
describe('liveness while the worst bodies are refused (e2e)', () => {
  let t: TestApp;
  let user: SignedIn;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    user = await signedInUser(t);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    return new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const worst = (): Array<Promise<number>> => [
    send('POST', '/v1/orders', manyItems(), user.auth),
    send('POST', '/v1/orders', deepItems(), user.auth),
    send('POST', '/v1/auth/login', manyUnknownKeys().text),
    send('POST', '/v1/auth/register', manyUnknownKeys().text),
    send('POST', '/v1/auth/refresh', deepArrays()),
  ];

  /** Asks /health/live again and again until `load` settles; the slowest of those answers. */
  async function measure(load: Array<Promise<number>>): Promise<Sample & { statuses: number[] }> {
    let settled = false;
    const all = Promise.all(load).finally(() => (settled = true));
    const sample: Sample = { cpuMs: 0, wallMs: 0, answered: 0 };
    do {
      const cpu = process.threadCpuUsage();
      const started = performance.now();
      expect(await send('GET', '/health/live')).toBe(200);
      const used = process.threadCpuUsage(cpu);
      sample.cpuMs = Math.max(sample.cpuMs, (used.user + used.system) / 1000);
      sample.wallMs = Math.max(sample.wallMs, performance.now() - started);
      sample.answered += 1;
    } while (!settled);
    return { ...sample, statuses: await all };
  }

  /** The best of up to `ATTEMPTS` runs of `load`: the first within the bounds, or all of them. */
  async function bestOf(
    load: () => Array<Promise<number>>,
  ): Promise<{ passed: boolean; samples: Sample[]; statuses: number[][] }> {
    const samples: Sample[] = [];
    const statuses: number[][] = [];
    for (let i = 0; i < ATTEMPTS; i += 1) {
      const { statuses: answered, ...sample } = await measure(load());
      samples.push(sample);
      statuses.push(answered);
      if (sample.cpuMs <= LIVENESS_BOUND_MS && sample.wallMs <= WALL_CEILING_MS)
        return { passed: true, samples, statuses };
    }
    return { passed: false, samples, statuses };
  }

  it(`/health/live answers within ${LIVENESS_BOUND_MS} ms of event-loop time while 5 of the worst bodies are refused`, async () => {
    const result = await bestOf(worst);
    // The samples are in the message when it fails: CPU and wall time of the slowest liveness answer.
    expect({ passed: result.passed, samples: result.samples }).toEqual({
      passed: true,
      samples: result.samples,
    });
    for (const answered of result.statuses) expect(answered).toEqual([400, 400, 400, 400, 400]);
    expect(result.samples.every((sample) => sample.answered >= 1)).toBe(true);
  });

  it('control: the same measurement fails when the loop is blocked for 300 ms meanwhile', async () => {
    const blockTheLoop = () =>
      new Promise<number>((resolve) =>
        setTimeout(() => {
          const until = process.threadCpuUsage().user + 300_000;
          while (process.threadCpuUsage().user < until);
          resolve(0);
        }, 1),
      );
    const result = await bestOf(() => [...worst(), blockTheLoop()]);
    expect(result.passed).toBe(false);
    for (const sample of result.samples) expect(sample.cpuMs).toBeGreaterThan(LIVENESS_BOUND_MS);
  });
});
