import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { HttpClient, PROMOTE_TO_ADMIN_SQL, register, signIn } from '../helpers/http-client';
import { startService, ServiceProcess } from '../helpers/service';

const JWT_SECRET = 'crash-safety-secret-crash-safety-secret-0123';
const KEYS = 240;
const IN_FLIGHT = 24;
const KILL_AFTER_ANSWERS = 60;
const PRODUCTS = 5;
const INITIAL_STOCK = 10_000;

interface Answer {
  status: number | 'lost';
  orderId?: string;
  replayed?: boolean;
}

/**
 * The service process is SIGKILLed in the middle of a burst of idempotent orders: whatever was in
 * flight dies with its connections, so PostgreSQL rolls those transactions back and frees their
 * advisory locks. After a restart on the same database, the data holds together and a retry of
 * every key succeeds exactly once.
 */
describe('crash safety: SIGKILL mid-burst (system)', () => {
  let db: TestDatabase;
  let sql: Client;
  let service: ServiceProcess | undefined;
  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    JWT_SECRET,
    SHUTDOWN_DELAY_MS: '0',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
    ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Client({ connectionString: db.url });
    sql.on('error', () => undefined);
    await sql.connect();
  });
  afterAll(async () => {
    if (service) await service.stop(5000);
    await sql.end();
    await db.drop();
  });

  it('leaves no order without items, no stock change without an order, and every key succeeds exactly once after restart', async () => {
    service = await startService({ env: env(), waitFor: '/health/ready', timeoutMs: 120_000 });
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const email = `crash-${randomBytes(4).toString('hex')}@example.test`;
    await register(new HttpClient(service.url), { email, password, name: 'Crash' });
    await sql.query(PROMOTE_TO_ADMIN_SQL, [email]);
    let api = await signIn(new HttpClient(service.url), { email, password });

    const productIds: string[] = [];
    for (let i = 0; i < PRODUCTS; i += 1) {
      const res = await api.call<{ id: string }>('POST', '/v1/products', {
        sku: `CRASH-${i}`,
        name: `P${i}`,
        priceCents: 100,
        stock: INITIAL_STOCK,
      });
      expect(res.status).toBe(201);
      productIds.push(res.body.id);
    }
    const keys = Array.from({ length: KEYS }, (_, i) => `crash-key-${i}`);
    // Multi-item bodies, so a torn write would show as an order missing items or a stray decrement.
    const bodyOf = (i: number) => ({
      items: [
        { productId: productIds[i % PRODUCTS], quantity: 1 + (i % 3) },
        { productId: productIds[(i + 1) % PRODUCTS], quantity: 1 },
      ],
    });

    // The burst: IN_FLIGHT requests outstanding at any time; SIGKILL once KILL_AFTER_ANSWERS came back.
    const first = new Map<string, Answer>();
    const running = service;
    let answered = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < KEYS) {
        const i = next;
        next += 1;
        const key = keys[i] as string;
        try {
          const res = await api.call<{ id?: string }>('POST', '/v1/orders', bodyOf(i), {
            'idempotency-key': key,
          });
          first.set(key, { status: res.status, orderId: res.body.id });
          answered += 1;
          if (answered === KILL_AFTER_ANSWERS) running.kill('SIGKILL');
        } catch {
          first.set(key, { status: 'lost' });
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    await running.exited;
    const lost = [...first.values()].filter((a) => a.status === 'lost').length;
    expect(lost).toBeGreaterThan(0); // the kill did land mid-burst
    for (const a of first.values()) if (a.status !== 'lost') expect(a.status).toBe(201);

    // Invariants straight from the database, before anything else touches it.
    const invariants = async () => {
      const { rows } = await sql.query<{
        empty: number;
        orders: number;
        audited: number;
        kept: number;
        moved: boolean;
      }>(
        `SELECT (SELECT count(*)::int FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)) AS empty,
                (SELECT count(*)::int FROM orders) AS orders,
                (SELECT count(*)::int FROM audit_log WHERE action = 'order.created') AS audited,
                (SELECT count(*)::int FROM idempotency_keys WHERE status_code = 201) AS kept,
                (SELECT bool_and(p.stock + COALESCE((SELECT sum(i.quantity) FROM order_items i JOIN orders o ON o.id = i.order_id
                                                     WHERE i.product_id = p.id AND o.status = 'confirmed'), 0) = $1)
                   FROM products p) AS moved`,
        [INITIAL_STOCK],
      );
      return rows[0];
    };
    const afterCrash = await invariants();
    expect(afterCrash).toEqual({
      empty: 0,
      orders: afterCrash?.kept,
      audited: afterCrash?.orders,
      kept: afterCrash?.orders,
      moved: true,
    });
    expect(afterCrash?.orders).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(afterCrash?.orders).toBeLessThan(KEYS);

    // Restart on the same database; retry every key with its body.
    service = await startService({ env: env(), waitFor: '/health/ready', timeoutMs: 120_000 });
    api = await signIn(new HttpClient(service.url), { email, password });
    const retried = new Map<string, Answer>();
    for (let i = 0; i < KEYS; i += 1) {
      const key = keys[i] as string;
      const res = await api.call<{ id?: string }>('POST', '/v1/orders', bodyOf(i), {
        'idempotency-key': key,
      });
      retried.set(key, {
        status: res.status,
        orderId: res.body.id,
        replayed: res.headers.get('idempotent-replayed') === 'true',
      });
    }
    for (const key of keys) {
      const before = first.get(key) as Answer;
      const after = retried.get(key) as Answer;
      expect({ key, status: after.status }).toEqual({ key, status: 201 });
      // Answered before the crash → replayed, same order; lost in the crash → created now (or replayed
      // if it had committed just before the kill, never a second order).
      if (before.status === 201)
        expect({ key, orderId: after.orderId, replayed: after.replayed }).toEqual({
          key,
          orderId: before.orderId,
          replayed: true,
        });
    }
    const ids = [...retried.values()].map((a) => a.orderId);
    expect(new Set(ids).size).toBe(KEYS);
    const final = await invariants();
    expect(final).toEqual({ empty: 0, orders: KEYS, audited: KEYS, kept: KEYS, moved: true });
  });
});
