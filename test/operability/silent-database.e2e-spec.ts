import type { LightMyRequestResponse } from 'fastify';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { DatabaseTimeoutError } from '../../src/common/errors/database-errors';
import { toProblem } from '../../src/common/http/problem';
import { testConfig } from '../../src/config/config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { databaseWaitBudgetMs, runAsRequest } from '../../src/database/wait-budget';
import { IdempotencyPurgeJob } from '../../src/idempotency/idempotency-purge.job';
import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { createProduct, placeOrder, UNLIMITED } from '../helpers/catalog';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { SilentProxy } from '../helpers/silent-proxy';

const STATEMENT_TIMEOUT_MS = 1000;
/** The bound for any request while the database is silent (the product's is lower: budget). */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + 2000;

interface Timed {
  res: LightMyRequestResponse;
  ms: number;
}

async function timed(request: Promise<LightMyRequestResponse>): Promise<Timed> {
  const started = performance.now();
  const res = await request;
  return { res, ms: performance.now() - started };
}

/** The answer of a database that could not answer: 503 SERVICE_UNAVAILABLE with Retry-After. */
function unavailable({ res }: Timed): { status: number; code?: string; retryAfter?: string } {
  return {
    status: res.statusCode,
    code: (res.json() as { code?: string }).code,
    retryAfter: res.headers['retry-after'] as string | undefined,
  };
}

/**
 * A database that stops answering (frozen, partitioned, failing over) seen through a proxy that
 * stops passing bytes: the server cannot enforce its own timeouts, so the client-side bounds must
 * (src/database/bounded-driver.ts, src/database/wait-budget.ts, docs/failure-behaviour.md).
 */
describe('a silent database (e2e)', () => {
  let proxy: SilentProxy;
  let t: TestApp;
  let user: SignedIn;
  let productId: string;

  beforeAll(async () => {
    proxy = await SilentProxy.inFrontOf(process.env.BULWARK_TEST_ADMIN_URL as string);
    t = await createTestApp(
      {
        ...UNLIMITED,
        dbStatementTimeoutMs: STATEMENT_TIMEOUT_MS,
        webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
      },
      (url) => proxy.viaProxy(url),
    );
    const admin = await signedInAdmin(t);
    user = await signedInUser(t);
    productId = (await createProduct(t, admin, { stock: 100 })).id;
  });
  afterAll(async () => {
    proxy.resume();
    await t.close();
    await proxy.stop();
  });

  const me = () => timed(t.inject({ method: 'GET', url: '/v1/users/me', headers: user.auth }));
  const order = (key: string) => timed(placeOrder(t, user, [{ productId, quantity: 1 }], key));
  const ready = () => timed(t.inject({ method: 'GET', url: '/health/ready' }));

  it('answers every request 503 with Retry-After within the bound, readiness 503, and serves again as soon as it answers', async () => {
    expect((await me()).res.statusCode).toBe(200);
    proxy.silence();
    try {
      // On the pooled connections that were open (their statements get no answer), then on new
      // connections that never finish opening (the pool dropped the unanswered ones).
      for (const wave of [1, 2]) {
        const answers = await Promise.all([me(), me(), order(`silent-${wave}-a`), order(`silent-${wave}-b`)]);
        for (const answer of answers) {
          expect(unavailable(answer)).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '1' });
          expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
        }
      }
      const probe = await ready();
      expect(probe.res.statusCode).toBe(503);
      expect(probe.ms).toBeLessThan(ANSWER_BOUND_MS);
    } finally {
      proxy.resume();
    }

    // No restart: the next requests find the database again.
    expect((await me()).res.statusCode).toBe(200);
    expect((await ready()).res.statusCode).toBe(200);
    // Every key used while it was silent resolves to exactly one order on a retry.
    const ids = new Set<string>();
    for (const key of ['silent-1-a', 'silent-1-b', 'silent-2-a', 'silent-2-b']) {
      const retried = await order(key);
      expect({ key, status: retried.res.statusCode }).toEqual({ key, status: 201 });
      ids.add((retried.res.json() as { id: string }).id);
      const again = await order(key);
      expect((again.res.json() as { id: string }).id).toBe((retried.res.json() as { id: string }).id);
    }
    expect(ids.size).toBe(4);
  });

  it('is ready again as soon as the database answers, before a new connection could be opened', async () => {
    expect((await ready()).res.statusCode).toBe(200); // the probe's connection is open
    proxy.silence();
    try {
      expect((await ready()).res.statusCode).toBe(503);
      // The server answers on the connections it had; new ones still get nothing.
      proxy.resume('opened-before-silence');
      expect((await ready()).res.statusCode).toBe(200);
      expect((await ready()).res.statusCode).toBe(200);
    } finally {
      proxy.resume();
    }
  });

  it('gives a readiness probe that joined a ping about to run out its own budget, so a database that answers again makes it ready', async () => {
    expect((await ready()).res.statusCode).toBe(200);
    proxy.silence();
    try {
      const first = ready(); // its ping runs out at 1 s
      await new Promise((resolve) => setTimeout(resolve, 700));
      const second = ready(); // joins that ping with 300 ms of it left, and 1 s of its own
      expect((await first).res.statusCode).toBe(503);
      // The server answers again on the connection the expired ping set aside.
      proxy.resume('opened-before-silence');
      expect((await second).res.statusCode).toBe(200);
    } finally {
      proxy.resume();
    }
    expect((await ready()).res.statusCode).toBe(200);
  });

  it('gives a request one budget for all its waits: once a statement used it up, the next wait fails at once', async () => {
    const dataSource = t.app.get(DataSource);
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const connections = pool.totalCount;
    proxy.silence();
    try {
      const [first, second] = await runAsRequest(async () => {
        const a = await dataSource.query('SELECT 1').catch((error: unknown) => error);
        // The unanswered connection was discarded, not handed back to the pool.
        expect(pool.totalCount).toBe(connections - 1);
        const b = await dataSource.query('SELECT 1').catch((error: unknown) => error);
        return [a, b];
      });
      // QueryFailedError wraps what pg's client raised: the statement waited what was left of the
      // budget once a pooled connection was taken (a millisecond or so of it on a busy machine).
      const timedOut = (first as { driverError?: { waitingFor?: string; afterMs: number } }).driverError;
      expect(timedOut?.waitingFor).toBe('statement');
      expect(timedOut?.afterMs).toBeLessThanOrEqual(databaseWaitBudgetMs(STATEMENT_TIMEOUT_MS));
      expect(timedOut?.afterMs).toBeGreaterThan(databaseWaitBudgetMs(STATEMENT_TIMEOUT_MS) - 100);
      // The second never waited: no budget left.
      expect(second).toBeInstanceOf(DatabaseTimeoutError);
      expect(second).toEqual(expect.objectContaining({ afterMs: 0 }));
      expect(toProblem(second, 'r').problem.status).toBe(503);
    } finally {
      proxy.resume();
    }
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it("bounds pg's callback API (pool.query) the same way and drops the unanswered connection", async () => {
    const url = proxy.viaProxy(t.db.url);
    const options = buildDataSourceOptions(
      testConfig({ databaseUrl: url, dbStatementTimeoutMs: STATEMENT_TIMEOUT_MS, dbConnectTimeoutMs: 5000 }),
    ) as PostgresDataSourceOptions;
    const pool = new (options.driver as { Pool: typeof Pool }).Pool({
      connectionString: url,
      ...options.extra,
    });
    pool.on('error', () => undefined);
    try {
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(pool.totalCount).toBe(1);
      proxy.silence();
      let error: unknown;
      try {
        error = await pool.query('SELECT 1').catch((e: unknown) => e);
      } finally {
        proxy.resume();
      }
      expect(error).toBeInstanceOf(DatabaseTimeoutError);
      expect(pool.totalCount).toBe(0);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('lets a scheduled purge fail in bounded time with a warning while it is silent; the next run works', async () => {
    const job = t.app.get(IdempotencyPurgeJob);
    const failures = () =>
      t.logs.filter((l) => l.msg === 'idempotency: expired answers: purge failed').length;
    const before = failures();
    proxy.silence();
    let purged: number;
    let ms: number;
    try {
      const started = performance.now();
      purged = await job.purge(); // outside any request: each wait gets its own bound
      ms = performance.now() - started;
    } finally {
      proxy.resume();
    }
    expect(purged).toBe(0);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(failures()).toBe(before + 1);
    await job.purge();
    expect(failures()).toBe(before + 1);
  });
});

/**
 * Issue 14, finding 6: when the event loop stalls while a connection is being opened, pg's connect
 * bound elapses (`timeout expired`) although the database is fine. It is an infrastructure failure:
 * 503 with Retry-After, like any other.
 */
describe('a stalled event loop while connecting (e2e)', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The service's own pool and client (src/database/data-source-options.ts), as TypeORM builds it.
    const options = buildDataSourceOptions(
      testConfig({ databaseUrl: db.url, dbConnectTimeoutMs: 100 }),
    ) as PostgresDataSourceOptions;
    pool = new (options.driver as { Pool: typeof Pool }).Pool({ connectionString: db.url, ...options.extra });
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('answers 503 with Retry-After when the connect bound elapses during a stall', async () => {
    // The pool has no connection yet: the query opens one, and the loop stalls for longer than the
    // connect bound, so pg's timer fires before the server's answers are read.
    const failure = pool.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    setImmediate(() => {
      const until = Date.now() + 600;
      while (Date.now() < until) {
        // the stall
      }
    });
    const error = await failure;
    expect(String(error)).toMatch(/timeout expired/);
    const { problem, headers } = toProblem(error, 'r');
    expect({ status: problem.status, code: problem.code, headers }).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      headers: { 'Retry-After': '1' },
    });
  });
});
