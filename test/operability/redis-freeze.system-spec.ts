import Redis from 'ioredis';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { ServiceProcess, startService } from '../helpers/service';
import { eventually } from '../helpers/webhooks/receiver';
import { freeze, thaw } from '../helpers/freeze';
import {
  databaseFacts,
  openShop,
  OrderAnswer,
  settleEveryKey,
  Shop,
  startOrderStream,
  watchReadiness,
} from '../helpers/order-stream';
import { RedisServer, startRedisServer } from '../helpers/redis-server';

const JWT_SECRET = 'redis-freeze-secret-redis-freeze-secret-01234';
const STATEMENT_TIMEOUT_MS = 2000;
/** The same bound as for a frozen database (issue 18). */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + 2000;
const FREEZE_MS = 6000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Shared rate limits (REDIS_URL) while Redis stops answering: the redis-server process is stopped
 * with SIGSTOP (its connections stay open, nothing comes back) under a steady stream of orders.
 * Every request still ends in bounded time; limits are counted in the process meanwhile
 * (src/rate-limit/throttler-storage.ts) and in Redis again once it answers.
 */
describe('a frozen Redis under order load, shared limits configured (system)', () => {
  let db: TestDatabase | undefined;
  let redis: RedisServer | undefined;
  let service: ServiceProcess | undefined;
  let shop: Shop | undefined;
  let stopped: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startRedisServer();
    service = await startService({
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        JWT_SECRET,
        LOG_LEVEL: 'info',
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        RATE_LIMIT_PER_MINUTE: '10000000',
        ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
        LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      },
      waitFor: '/health/ready',
      timeoutMs: 120_000,
    });
    shop = await openShop(service.url, db.url);
  }, 180_000);

  afterAll(async () => {
    thaw(stopped);
    await shop?.sql.end();
    await service?.stop(10_000);
    await redis?.stop();
    await db?.drop();
  });

  it('answers every order in bounded time, keeps serving and ready, and shares counters again after the thaw', async () => {
    const s = shop as Shop;
    const running = service as ServiceProcess;
    const stream = startOrderStream(s);
    const readiness = watchReadiness(running.url);
    await sleep(2000);

    const frozenAt = performance.now();
    stopped = freeze((redis as RedisServer).pid);
    await sleep(FREEZE_MS);
    thaw(stopped);
    stopped = [];
    const thawedAt = performance.now();
    // Redis is tried again a few seconds after a failure (REDIS_RETRY_AFTER_MS): it comes back then.
    await eventually(
      () => running.output().includes('rate limits: Redis is back, counters are shared again'),
      20_000,
      () => '(the service never went back to Redis)',
    );
    const answers = await stream.stop();
    const probes = await readiness.stop();

    const late = answers.filter((a) => a.answeredAt - a.sentAt > ANSWER_BOUND_MS);
    expect(
      late.map((a) => ({ key: a.key, status: a.status, ms: Math.round(a.answeredAt - a.sentAt) })),
    ).toEqual([]);
    const outcome = (a: OrderAnswer) =>
      a.status === 201 ? '201' : `${a.status} ${a.code} retry-after=${a.retryAfter ?? 'none'}`;
    expect([...new Set(answers.map(outcome))].filter((o) => o !== '201')).toEqual(
      answers.some((a) => a.status === 503) ? ['503 SERVICE_UNAVAILABLE retry-after=1'] : [],
    );
    // Served while Redis was silent, and the service noticed it was.
    const during = answers.filter((a) => a.sentAt > frozenAt && a.answeredAt < thawedAt);
    expect(during.filter((a) => a.status === 201).length).toBeGreaterThan(0);
    expect(running.output()).toContain('rate limits: Redis unavailable, counting in this process');
    // Redis is no readiness dependency: an outage of shared limits takes no replica out of rotation.
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);

    const facts = await databaseFacts(s);
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.id as string);
    expect(acknowledged.filter((id) => !facts.orderIds.includes(id))).toEqual([]);
    expect(facts.stockMatches).toBe(true);
    const settled = await settleEveryKey(s, answers);
    expect(settled.filter((r) => r.status !== 201)).toEqual([]);
    expect(new Set(settled.map((r) => r.id)).size).toBe(answers.length);
    const after = await databaseFacts(s);
    expect([...after.orderIds].sort()).toEqual(settled.map((r) => r.id as string).sort());
    expect(after.stockMatches).toBe(true);

    // Counters are shared again: each new order counts in Redis.
    const direct = new Redis((redis as RedisServer).url, { lazyConnect: true });
    try {
      await direct.connect();
      const hits = async () => Number(await direct.get(`{orders:user:${s.shopperId}:orders}:hits`));
      const before = await hits();
      await settleEveryKey(s, [
        { ...answers[0], key: 'after-thaw-1' } as OrderAnswer,
        { ...answers[0], key: 'after-thaw-2' } as OrderAnswer,
      ]);
      expect((await hits()) - before).toBe(2);
    } finally {
      direct.disconnect();
    }
    expect(running.process.exitCode).toBeNull();
  }, 180_000);
});
