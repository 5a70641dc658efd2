import { DataSource } from 'typeorm';
import { IdempotencyPurgeJob } from '../../src/idempotency/idempotency-purge.job';
import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import {
  cancelOrder,
  createProduct,
  metricValue,
  OrderBody,
  placeOrder,
  sql,
  stockOf,
  UNLIMITED,
} from '../helpers/catalog';

describe('idempotency keys (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let alice: SignedIn;
  let bob: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    alice = await signedInUser(t);
    bob = await signedInUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const ordersWithKey = async (userId: string) =>
    (await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [userId]))[0]?.n;

  it('the same key and body 5 times → 1 order, 1 decrement, identical status and body, replay header on repeats', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const before = await ordersWithKey(alice.id);
    const answers = [];
    for (let i = 0; i < 5; i += 1)
      answers.push(await placeOrder(t, alice, [{ productId: p.id, quantity: 2 }], 'five-times'));
    const [first, ...repeats] = answers;
    expect(first?.statusCode).toBe(201);
    expect(first?.headers['idempotent-replayed']).toBeUndefined();
    for (const r of repeats) {
      expect(r.statusCode).toBe(201);
      expect(r.body).toBe(first?.body);
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.headers.location).toBe(first?.headers.location);
      expect(r.headers['content-type']).toBe(first?.headers['content-type']);
    }
    expect(await stockOf(t, p.id)).toBe(8);
    expect(await ordersWithKey(alice.id)).toBe((before ?? 0) + 1);
    expect(await metricValue(t, 'bulwark_idempotency_replays_total')).toBe(4);
    expect(
      await sql(
        t,
        "SELECT count(*)::int AS n FROM audit_log WHERE action = 'order.created' AND entity_id = $1",
        [first?.json<OrderBody>().id],
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('50 concurrent requests with one key → exactly 1 order; every answer the original 201 or 409; a retry replays the 201', async () => {
    const p = await createProduct(t, admin, { stock: 100 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => placeOrder(t, bob, [{ productId: p.id, quantity: 1 }], 'burst')),
    );
    const created = answers.filter((r) => r.statusCode === 201);
    const original = created.find((r) => r.headers['idempotent-replayed'] === undefined);
    expect(original).toBeDefined();
    expect(created.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    for (const r of answers) {
      expect([201, 409]).toContain(r.statusCode);
      if (r.statusCode === 201) expect(r.body).toBe(original?.body);
      else expect(r.json().code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    expect(await stockOf(t, p.id)).toBe(99);
    expect(await sql(t, 'SELECT count(*)::int AS n FROM order_items WHERE product_id = $1', [p.id])).toEqual([
      { n: 1 },
    ]);
    const retry = await placeOrder(t, bob, [{ productId: p.id, quantity: 1 }], 'burst');
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(original?.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });

  it('the same key with a different body or path → 422 IDEMPOTENCY_KEY_REUSED, nothing changes; key order in the body does not matter', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    expect((await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'reused')).statusCode).toBe(201);
    const sameReordered = await t.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...alice.auth, 'idempotency-key': 'reused' },
      payload: { items: [{ quantity: 1, productId: p.id }] },
    });
    expect(sameReordered.statusCode).toBe(201);
    expect(sameReordered.headers['idempotent-replayed']).toBe('true');
    const different = await placeOrder(t, alice, [{ productId: p.id, quantity: 2 }], 'reused');
    expect(different.statusCode).toBe(422);
    expect(different.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const order = sameReordered.json<OrderBody>();
    const otherPath = await cancelOrder(t, alice, order.id, 'reused');
    expect(otherPath.statusCode).toBe(422);
    expect(await stockOf(t, p.id)).toBe(9);
    expect(
      (await t.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: alice.auth })).json().status,
    ).toBe('confirmed');
  });

  it('keys are scoped to the caller: the same key used by two users → two independent orders', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const a = await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'shared-key');
    const b = await placeOrder(t, bob, [{ productId: p.id, quantity: 1 }], 'shared-key');
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json<OrderBody>().id).not.toBe(b.json<OrderBody>().id);
    expect(a.json<OrderBody>().userId).toBe(alice.id);
    expect(b.json<OrderBody>().userId).toBe(bob.id);
    expect(await stockOf(t, p.id)).toBe(8);
  });

  it('a stored 409 INSUFFICIENT_STOCK replays as 409 even after a restock', async () => {
    const p = await createProduct(t, admin, { stock: 1 });
    const first = await placeOrder(t, alice, [{ productId: p.id, quantity: 5 }], 'too-many');
    expect(first.statusCode).toBe(409);
    expect(first.json().code).toBe('INSUFFICIENT_STOCK');
    const restock = await t.inject({
      method: 'PATCH',
      url: `/v1/products/${p.id}`,
      headers: admin.auth,
      payload: { stock: 100 },
    });
    expect(restock.statusCode).toBe(200);
    const replay = await placeOrder(t, alice, [{ productId: p.id, quantity: 5 }], 'too-many');
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toBe(first.body);
    expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await stockOf(t, p.id)).toBe(100);
    // a new key is a new request
    expect((await placeOrder(t, alice, [{ productId: p.id, quantity: 5 }], 'too-many-2')).statusCode).toBe(
      201,
    );
  });

  it('validation failures are not kept: the client may fix and retry with the same key', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const bad = await t.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...alice.auth, 'idempotency-key': 'fix-me' },
      payload: { items: [{ productId: p.id, quantity: 0 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(await sql(t, "SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'fix-me'")).toEqual([
      { n: 0 },
    ]);
  });

  it('Idempotency-Key must be 1–255 characters', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    for (const key of ['', 'k'.repeat(256)]) {
      const res = await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], key);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'Idempotency-Key', message: expect.any(String) }],
      });
    }
    expect((await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'k'.repeat(255))).statusCode).toBe(
      201,
    );
    expect(await stockOf(t, p.id)).toBe(9);
  });

  it('cancel is idempotent too: a repeat replays the 200; a kept 409 replays as 409', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const order = (await placeOrder(t, alice, [{ productId: p.id, quantity: 3 }])).json<OrderBody>();
    const first = await cancelOrder(t, alice, order.id, 'cancel-1');
    expect(first.statusCode).toBe(200);
    const again = await cancelOrder(t, alice, order.id, 'cancel-1');
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await stockOf(t, p.id)).toBe(10);
    const otherKey = await cancelOrder(t, alice, order.id, 'cancel-2');
    expect(otherKey.statusCode).toBe(409);
    const otherKeyAgain = await cancelOrder(t, alice, order.id, 'cancel-2');
    expect(otherKeyAgain.statusCode).toBe(409);
    expect(otherKeyAgain.body).toBe(otherKey.body);
    expect(otherKeyAgain.headers['idempotent-replayed']).toBe('true');
  });

  it('answers are kept at least 24 h, then purged by the scheduled job', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'old');
    await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'fresh');
    await placeOrder(t, alice, [{ productId: p.id, quantity: 1 }], 'almost-old');
    await t.app
      .get(DataSource)
      .query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'");
    await t.app
      .get(DataSource)
      .query("UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'almost-old'");
    const deleted = await t.app.get(IdempotencyPurgeJob).purge();
    expect(deleted).toBeGreaterThanOrEqual(1);
    const left = await sql<{ key: string }>(
      t,
      "SELECT key FROM idempotency_keys WHERE user_id = $1 AND key IN ('old', 'fresh', 'almost-old') ORDER BY key",
      [alice.id],
    );
    expect(left.map((r) => r.key)).toEqual(['almost-old', 'fresh']);
  });
});
