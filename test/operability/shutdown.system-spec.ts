import { startBalancer, Balancer } from '../helpers/balancer';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { HttpClient, newCredentials, register, signIn } from '../helpers/http-client';
import { ServiceProcess, startService } from '../helpers/service';
import { startLoad } from '../helpers/load';

// Longer than the balancer needs to notice: a probe every 200 ms, out at the first 503, or after three
// probes unanswered within 800 ms on a starved CI machine. After the delay the server closes, and
// Fastify answers 503 to requests still arriving on kept-alive connections.
const SHUTDOWN_DELAY_MS = 3000;
const SHUTDOWN_DRAIN_TIMEOUT_MS = 5000;
const POLL_MS = 200;
const CLIENTS = 24;
const JWT_SECRET = 'shutdown-spec-secret-shutdown-spec-secret-0123';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Zero-failure shutdown (docs/operations.md, "Shutdown"): two instances behind a balancer that follows
 * readiness like Kubernetes endpoints do; SIGTERM one under keep-alive load.
 */
describe('graceful shutdown under load (system)', () => {
  let db: TestDatabase;
  const instances: ServiceProcess[] = [];
  let balancer: Balancer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_DRAIN_TIMEOUT_MS: String(SHUTDOWN_DRAIN_TIMEOUT_MS),
      RATE_LIMIT_PER_MINUTE: '10000000',
      // More connections than clients: this spec is about draining, not about pool saturation (which
      // answers fast 503s by design, see outage.system-spec.ts).
      DB_POOL_MAX: String(CLIENTS + 6),
    };
    // One after the other: the first applies the migrations.
    instances.push(await startService({ env, waitFor: '/health/ready' }));
    instances.push(await startService({ env, waitFor: '/health/ready' }));
  }, 120_000);

  afterAll(async () => {
    await balancer?.close();
    await Promise.all(instances.map((i) => i.stop(5000)));
    await db?.drop();
  });

  it('SIGTERM mid-load: 0 failed requests, 0 socket errors, the instance exits 0 within delay + drain limit', async () => {
    const [leaving, staying] = instances;
    // A signed-in user, so the load is a real authenticated /v1 read (guard + database per request).
    const credentials = newCredentials('shutdown');
    await register(new HttpClient(staying.url), credentials);
    const { auth } = await signIn(new HttpClient(staying.url), credentials);

    // Warm each instance's pool to the full client count first: when one instance leaves, the other
    // takes all the clients, and opening database connections on a starved machine can exceed the
    // pool's 800 ms connection timeout (a fast 503 by design; not what this spec is about).
    for (const instance of instances) {
      const warm = startLoad(instance.url, '/v1/users/me', {
        concurrency: CLIENTS,
        headers: auth,
      });
      while (warm.answered() < CLIENTS * 10) await sleep(20);
      await warm.stop();
    }

    balancer = await startBalancer([leaving.url, staying.url], { pollMs: POLL_MS });
    expect(balancer.backends.map((b) => b.inRotation)).toEqual([true, true]);

    const load = startLoad(balancer.url, '/v1/users/me', {
      concurrency: CLIENTS,
      headers: auth,
    });
    // Warm-up (pools open their connections, code gets hot), then count from a clean slate.
    // Both pools fill up during the warm-up; on a starved machine that can briefly fail a probe.
    await sleep(2000);
    while (load.answered() < 300) await sleep(20);
    load.reset();
    balancer.transitions.length = 0;
    expect(balancer.backends.map((b) => b.inRotation)).toEqual([true, true]);
    while (load.answered() < 100) await sleep(20);
    const servedBefore = balancer.backends[0].served;
    const answeredBefore = load.answered();

    for (const b of balancer.backends) b.failures.length = 0;
    const signalledAt = Date.now();
    leaving.kill('SIGTERM');
    const code = await leaving.exited;
    const exitedAfterMs = Date.now() - signalledAt;
    await sleep(500); // keep loading the survivor a little after the exit
    const outcome = await load.stop();

    expect({
      unexpected: outcome.unexpected,
      socketErrors: outcome.socketErrors,
      noBackend: balancer.noBackend(),
      transitions: balancer.transitions,
      failures: balancer.backends.map((b) => b.failures),
    }).toEqual({
      failures: [[], []],
      unexpected: {},
      socketErrors: {},
      noBackend: 0,
      transitions: [expect.stringMatching(new RegExp(`^${leaving.url} out at \\d+ ms \\(503\\)$`))],
    });
    expect(balancer.backends.map((b) => b.errors)).toEqual([0, 0]);
    expect(outcome.ok).toBe(outcome.total);
    expect(outcome.total).toBeGreaterThan(answeredBefore + CLIENTS);
    expect(code).toBe(0);
    // It kept serving while the balancer noticed, then was taken out; it stayed up for the delay.
    expect(balancer.backends[0].inRotation).toBe(false);
    expect(balancer.backends[0].served).toBeGreaterThan(servedBefore);
    expect(exitedAfterMs).toBeGreaterThanOrEqual(SHUTDOWN_DELAY_MS);
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_TIMEOUT_MS);
    // Answers while draining asked keep-alive clients to reconnect elsewhere.
    expect(balancer.backends[0].connectionClose).toBeGreaterThan(0);
  }, 60_000);
});
