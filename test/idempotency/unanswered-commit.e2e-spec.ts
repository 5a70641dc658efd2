import type { LightMyRequestResponse } from 'fastify';
import { Client } from 'pg';
import { testConfig } from '../../src/config/config';
import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { createProduct, placeOrder, UNLIMITED } from '../helpers/catalog';
import { SilentProxy } from '../helpers/silent-proxy';

/**
 * The hard case of a silent database (docs/failure-behaviour.md): the service sent its statements
 * and the answer never came back. The client gets 503 with Retry-After; what happened is decided by
 * whether the server got the COMMIT, and a retry with the same Idempotency-Key tells the client:
 * the committed order (replayed), or a fresh attempt. Never two orders, never a guess.
 */
describe('an order whose database answer is lost (e2e)', () => {
  let proxy: SilentProxy;
  let t: TestApp;
  let sql: Client;
  let user: SignedIn;
  let productId: string;

  beforeAll(async () => {
    proxy = await SilentProxy.inFrontOf(process.env.BULWARK_TEST_ADMIN_URL as string);
    t = await createTestApp(
      {
        ...UNLIMITED,
        dbStatementTimeoutMs: 1000,
        webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
      },
      (url) => proxy.viaProxy(url),
    );
    sql = new Client({ connectionString: t.db.url }); // straight to the database, not through the proxy
    sql.on('error', () => undefined);
    await sql.connect();
    const admin = await signedInAdmin(t);
    user = await signedInUser(t);
    productId = (await createProduct(t, admin, { stock: 50 })).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
    await proxy.stop();
  });

  const order = (key: string, quantity: number) => placeOrder(t, user, [{ productId, quantity }], key);

  /** What a client does with 503 or 409 IDEMPOTENCY_IN_PROGRESS: wait Retry-After, same key, again. */
  async function settle(key: string, quantity: number): Promise<LightMyRequestResponse> {
    for (let attempt = 1; ; attempt += 1) {
      const res = await order(key, quantity);
      const code = (res.json() as { code?: string }).code;
      const transient = res.statusCode === 503 || code === 'IDEMPOTENCY_IN_PROGRESS';
      if (!transient || attempt >= 10) return res;
      await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 1000));
    }
  }

  const facts = async (key: string) => {
    const { rows } = await sql.query<{ orders: number; stock: number; kept: string | null }>(
      `SELECT (SELECT count(*)::int FROM orders WHERE user_id = $1) AS orders,
              (SELECT stock FROM products WHERE id = $2) AS stock,
              (SELECT body::json->>'id' FROM idempotency_keys WHERE user_id = $1 AND key = $3) AS kept`,
      [user.id, productId, key],
    );
    return rows[0];
  };

  const problemOf = (res: LightMyRequestResponse) => ({
    status: res.statusCode,
    code: (res.json() as { code?: string }).code,
    retryAfter: res.headers['retry-after'],
  });

  it('COMMIT reached the server, its answer did not: 503, and the retry replays the committed order', async () => {
    const before = await facts('lost-commit');
    proxy.loseAnswersAfter('COMMIT\0');
    const first = await order('lost-commit', 3);
    expect(problemOf(first)).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '1' });

    const committed = await facts('lost-commit');
    expect(committed).toEqual({
      orders: before.orders + 1,
      stock: before.stock - 3,
      kept: expect.any(String),
    });

    const retried = await settle('lost-commit', 3);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect((retried.json() as { id: string }).id).toBe(committed.kept);
    expect(await facts('lost-commit')).toEqual(committed);
  });

  it('the answer was lost before COMMIT was sent: 503, nothing kept, and the retry places the order once', async () => {
    const before = await facts('lost-before-commit');
    proxy.loseAnswersAfter('INSERT INTO idempotency_keys');
    const first = await order('lost-before-commit', 2);
    expect(problemOf(first)).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '1' });

    // The server saw the client go away before any COMMIT: the transaction is rolled back.
    expect(await facts('lost-before-commit')).toEqual({ ...before, kept: null });

    const retried = await settle('lost-before-commit', 2);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const placed = await facts('lost-before-commit');
    expect(placed).toEqual({
      orders: before.orders + 1,
      stock: before.stock - 2,
      kept: (retried.json() as { id: string }).id,
    });
    // And once more: the same order, replayed.
    const again = await order('lost-before-commit', 2);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await facts('lost-before-commit')).toEqual(placed);
  });
});
