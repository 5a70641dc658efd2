import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded';
import { ServiceProcess, startService } from '../helpers/service';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';
import { freeze, postmasterPid, thaw } from '../helpers/freeze';
import {
  adminPost,
  databaseFacts,
  openShop,
  OrderAnswer,
  settleEveryKey,
  Shop,
  startOrderStream,
  watchReadiness,
} from '../helpers/order-stream';
import { PgServer, startPgServer } from '../helpers/pg-server';

const PASSWORD = 'freeze-spec-password';
const JWT_SECRET = 'freeze-spec-secret-freeze-spec-secret-0123456';
/**
 * A short statement timeout, so the freeze can last several times longer than it and the bounds
 * below are the product's (statement timeout + margin), not this machine's speed.
 */
const STATEMENT_TIMEOUT_MS = 2000;
/** The bound on any answer while the database is frozen. */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + 2000;
const FREEZE_MS = 3 * STATEMENT_TIMEOUT_MS;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A database that stops answering (issue 18): every process of the embedded PostgreSQL cluster is
 * stopped with SIGSTOP for three statement timeouts under a steady stream of orders with
 * Idempotency-Keys, then continued. The spec runs a PostgreSQL of its own (the run's shared server
 * must keep answering the other specs).
 */
describe('a frozen database under order load (system)', () => {
  let dir: string;
  let pg: PgServer | undefined;
  let service: ServiceProcess | undefined;
  let receiver: Receiver | undefined;
  let shop: Shop | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-freeze-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user
    pg = await startPgServer(dir, PASSWORD, await freePort());
    receiver = await startReceiver();
    service = await startService({
      env: {
        DATABASE_URL: pg.url,
        JWT_SECRET,
        LOG_LEVEL: 'warn',
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        RATE_LIMIT_PER_MINUTE: '10000000',
        ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
        LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
        WEBHOOKS_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_INTERVAL_MS: '100',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_BASE_DELAY_MS: '100',
        WEBHOOK_MAX_DELAY_MS: '1000',
      },
      waitFor: '/health/ready',
      timeoutMs: 120_000,
    });
    shop = await openShop(service.url, pg.url);
    const subscription = await adminPost(shop, '/v1/webhooks', {
      url: receiver.url,
      events: ['order.created'],
    });
    receiver.secret = subscription.secret as string;
  }, 180_000);

  afterAll(async () => {
    await shop?.sql.end();
    await service?.stop(10_000);
    await receiver?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every order 201 or 503 with Retry-After within the bound, loses nothing, and resumes by itself', async () => {
    const s = shop as Shop;
    const running = service as ServiceProcess;
    const stream = startOrderStream(s);
    const readiness = watchReadiness(running.url);
    await sleep(2000);

    const frozenAt = performance.now();
    const stopped = freeze(postmasterPid(dir));
    await sleep(FREEZE_MS);
    thaw(stopped);
    const thawedAt = performance.now();

    await sleep(4000);
    const answers = await stream.stop();
    const probes = await readiness.stop();

    // Bounded, and nothing but a success or a 503 with Retry-After, before, during and after.
    const late = answers.filter((a) => a.answeredAt - a.sentAt > ANSWER_BOUND_MS);
    expect(
      late.map((a) => ({ key: a.key, status: a.status, ms: Math.round(a.answeredAt - a.sentAt) })),
    ).toEqual([]);
    const outcome = (a: OrderAnswer) =>
      a.status === 201 ? '201' : `${a.status} ${a.code} retry-after=${a.retryAfter ?? 'none'}`;
    expect(new Set(answers.map(outcome))).toEqual(
      new Set(
        answers.some((a) => a.status === 503) ? ['201', '503 SERVICE_UNAVAILABLE retry-after=1'] : ['201'],
      ),
    );
    const during = answers.filter((a) => a.sentAt > frozenAt && a.answeredAt < thawedAt);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((a) => a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.sentAt > thawedAt + 2000 && a.status === 201).length).toBeGreaterThan(0);

    // Readiness: 503 while frozen (every probe sent after the freeze and answered before the thaw),
    // 200 again within 2 s of the thaw.
    const probesDuring = probes.filter((p) => p.sentAt > frozenAt && p.answeredAt < thawedAt);
    expect(probesDuring.length).toBeGreaterThan(0);
    expect(probesDuring.map((p) => p.status)).toEqual(probesDuring.map(() => 503));
    const firstReady = probes.find((p) => p.answeredAt > thawedAt && p.status === 200);
    expect(firstReady).toBeDefined();
    expect((firstReady as { answeredAt: number }).answeredAt - thawedAt).toBeLessThan(2000);

    // Every acknowledged order is there; stock moved by exactly the orders there.
    const facts = await databaseFacts(s);
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.id as string);
    expect(acknowledged.filter((id) => !facts.orderIds.includes(id))).toEqual([]);
    expect(facts.stockMatches).toBe(true);

    // Every key, retried now, resolves to exactly one order: the one acknowledged, the one committed
    // although its answer was a 503, or a fresh one.
    const settled = await settleEveryKey(s, answers);
    expect(settled.filter((r) => r.status !== 201)).toEqual([]);
    for (const a of answers.filter((x) => x.status === 201)) {
      const r = settled.find((x) => x.key === a.key);
      expect({ key: a.key, id: r?.id, replayed: r?.replayed }).toEqual({
        key: a.key,
        id: a.id,
        replayed: true,
      });
    }
    const after = await databaseFacts(s);
    expect(new Set(settled.map((r) => r.id)).size).toBe(answers.length);
    expect([...after.orderIds].sort()).toEqual(settled.map((r) => r.id as string).sort());
    expect(after.stockMatches).toBe(true);

    // Background work went on by itself: the dispatcher delivers an event for every order.
    const r = receiver as Receiver;
    const ordersWithEvents = () =>
      new Set(r.received.filter((h) => h.answered === 200).map((h) => h.data.id as string));
    await eventually(
      () => after.orderIds.every((id) => ordersWithEvents().has(id)),
      30_000,
      () =>
        `(${after.orderIds.filter((id) => !ordersWithEvents().has(id)).length} orders without a delivered event)`,
    );
    expect(running.process.exitCode).toBeNull();
    expect(running.output()).not.toMatch(/unexpected error/);
  }, 180_000);
});
