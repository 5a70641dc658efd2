import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import {
  cancelOrder,
  createProduct,
  OrderBody,
  placeOrder,
  sql,
  stockOf,
  UNLIMITED,
} from '../helpers/catalog';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('orders (e2e)', () => {
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

  it('creates an order: 201 + Location, prices from the catalogue, stock decremented, audited, in one transaction', async () => {
    const a = await createProduct(t, admin, { priceCents: 250, stock: 5 });
    const b = await createProduct(t, admin, { priceCents: 1000, stock: 2 });
    const res = await placeOrder(t, alice, [
      { productId: b.id, quantity: 2 },
      { productId: a.id, quantity: 3 },
    ]);
    expect(res.statusCode).toBe(201);
    const order = res.json<OrderBody>();
    expect(order).toEqual({
      id: expect.any(String),
      userId: alice.id,
      status: 'confirmed',
      items: [
        { productId: b.id, quantity: 2, unitPriceCents: 1000 },
        { productId: a.id, quantity: 3, unitPriceCents: 250 },
      ],
      totalCents: 2750,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/v1/orders/${order.id}`);
    expect(await stockOf(t, a.id)).toBe(2);
    expect(await stockOf(t, b.id)).toBe(0);
    // version grows with stock changes, so ETags stay truthful
    expect((await sql(t, 'SELECT version FROM products WHERE id = $1', [a.id]))[0]).toEqual({ version: 2 });
    expect(
      await sql(t, "SELECT actor_id FROM audit_log WHERE action = 'order.created' AND entity_id = $1", [
        order.id,
      ]),
    ).toEqual([{ actor_id: alice.id }]);

    const read = await t.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: alice.auth });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(order);
  });

  it('a price in the body is refused, never used', async () => {
    const p = await createProduct(t, admin, { priceCents: 500 });
    const res = await t.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: alice.auth,
      payload: { items: [{ productId: p.id, quantity: 1, unitPriceCents: 1 }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('any item short → 409 INSUFFICIENT_STOCK and nothing changes', async () => {
    const plenty = await createProduct(t, admin, { stock: 100 });
    const scarce = await createProduct(t, admin, { stock: 1 });
    const before = await sql(t, 'SELECT count(*)::int AS n FROM orders');
    const res = await placeOrder(t, alice, [
      { productId: plenty.id, quantity: 10 },
      { productId: scarce.id, quantity: 2 },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      errors: [{ field: 'items.1.quantity', message: expect.any(String) }],
    });
    expect(await stockOf(t, plenty.id)).toBe(100);
    expect(await stockOf(t, scarce.id)).toBe(1);
    expect(await sql(t, 'SELECT count(*)::int AS n FROM orders')).toEqual(before);
  });

  it('an unknown product → 422 UNKNOWN_PRODUCT, checked before stock', async () => {
    const scarce = await createProduct(t, admin, { stock: 0 });
    const res = await placeOrder(t, alice, [
      { productId: scarce.id, quantity: 5 },
      { productId: MISSING, quantity: 1 },
    ]);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'UNKNOWN_PRODUCT',
      errors: [{ field: 'items.1.productId', message: 'unknown product' }],
    });
  });

  it('validates the body: 1–50 items, distinct products, quantity 1–1000', async () => {
    const p = await createProduct(t, admin, { stock: 10_000 });
    const item = (quantity: number, productId = p.id) => ({ productId, quantity });
    const many = Array.from({ length: 51 }, (_, i) =>
      item(1, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    );
    for (const items of [
      [],
      many,
      [item(0)],
      [item(1001)],
      [item(1.5)],
      [item(1), item(2)],
      [{ productId: 'nope', quantity: 1 }],
    ]) {
      const res = await placeOrder(t, alice, items);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(await stockOf(t, p.id)).toBe(10_000);
    expect((await placeOrder(t, alice, [item(1000)])).statusCode).toBe(201);
  });

  it('cancel: confirmed → cancelled with stock restored and audited; again → 409 INVALID_STATE_TRANSITION', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const q = await createProduct(t, admin, { stock: 10 });
    const order = (
      await placeOrder(t, alice, [
        { productId: p.id, quantity: 4 },
        { productId: q.id, quantity: 1 },
      ])
    ).json<OrderBody>();
    const res = await cancelOrder(t, alice, order.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...order, status: 'cancelled', version: 2, updatedAt: expect.any(String) });
    expect(await stockOf(t, p.id)).toBe(10);
    expect(await stockOf(t, q.id)).toBe(10);
    expect(
      await sql(t, "SELECT actor_id FROM audit_log WHERE action = 'order.cancelled' AND entity_id = $1", [
        order.id,
      ]),
    ).toEqual([{ actor_id: alice.id }]);

    const again = await cancelOrder(t, alice, order.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('INVALID_STATE_TRANSITION');
    expect(await stockOf(t, p.id)).toBe(10);
  });

  it('concurrent cancels of one order restore its stock once', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const order = (await placeOrder(t, alice, [{ productId: p.id, quantity: 3 }])).json<OrderBody>();
    const answers = await Promise.all(Array.from({ length: 10 }, () => cancelOrder(t, alice, order.id)));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await stockOf(t, p.id)).toBe(10);
  });

  it('BOLA: another user reading or cancelling the order → 404, and nothing changes; an admin may do both', async () => {
    const p = await createProduct(t, admin, { stock: 10 });
    const order = (await placeOrder(t, alice, [{ productId: p.id, quantity: 2 }])).json<OrderBody>();
    const read = await t.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: bob.auth });
    expect(read.statusCode).toBe(404);
    expect(read.json().code).toBe('NOT_FOUND');
    const cancel = await cancelOrder(t, bob, order.id);
    expect(cancel.statusCode).toBe(404);
    expect(cancel.json().code).toBe('NOT_FOUND');
    expect(await stockOf(t, p.id)).toBe(8);
    // the same answer as for an order that does not exist: no oracle
    expect(
      (await t.inject({ method: 'GET', url: `/v1/orders/${MISSING}`, headers: bob.auth })).json().detail,
    ).toBe(read.json().detail);

    expect(
      (await t.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: admin.auth })).statusCode,
    ).toBe(200);
    const adminCancel = await cancelOrder(t, admin, order.id);
    expect(adminCancel.statusCode).toBe(200);
    expect(await stockOf(t, p.id)).toBe(10);
    expect(
      await sql(t, "SELECT actor_id FROM audit_log WHERE action = 'order.cancelled' AND entity_id = $1", [
        order.id,
      ]),
    ).toEqual([{ actor_id: admin.id }]);
  });

  it('lists: a user sees only their own, newest first with a cursor; an admin sees all or one user’s', async () => {
    const p = await createProduct(t, admin, { stock: 100 });
    const carol = await signedInUser(t);
    const dave = await signedInUser(t);
    const mine: string[] = [];
    for (let i = 0; i < 3; i += 1)
      mine.push((await placeOrder(t, carol, [{ productId: p.id, quantity: 1 }])).json<OrderBody>().id);
    await placeOrder(t, dave, [{ productId: p.id, quantity: 1 }]);

    const first = await t.inject({ method: 'GET', url: '/v1/orders?limit=2', headers: carol.auth });
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ data: OrderBody[]; nextCursor: string }>();
    expect(page1.data.map((o) => o.id)).toEqual([mine[2], mine[1]]);
    expect(page1.data[0]?.items).toEqual([{ productId: p.id, quantity: 1, unitPriceCents: p.priceCents }]);
    const page2 = (
      await t.inject({
        method: 'GET',
        url: `/v1/orders?limit=2&cursor=${page1.nextCursor}`,
        headers: carol.auth,
      })
    ).json<{ data: OrderBody[]; nextCursor: string | null }>();
    expect(page2).toEqual({ data: [expect.objectContaining({ id: mine[0] })], nextCursor: null });

    // a user cannot widen the view with ?userId=
    const sneaky = (
      await t.inject({ method: 'GET', url: `/v1/orders?userId=${dave.id}`, headers: carol.auth })
    ).json<{ data: OrderBody[] }>();
    expect(sneaky.data).toEqual([]);

    const all = (await t.inject({ method: 'GET', url: '/v1/orders?limit=100', headers: admin.auth })).json<{
      data: OrderBody[];
    }>();
    expect(all.data.map((o) => o.userId)).toEqual(expect.arrayContaining([carol.id, dave.id, alice.id]));
    const onlyDave = (
      await t.inject({ method: 'GET', url: `/v1/orders?userId=${dave.id}`, headers: admin.auth })
    ).json<{ data: OrderBody[] }>();
    expect(onlyDave.data.map((o) => o.userId)).toEqual([dave.id]);
  });

  it('needs a signed-in caller', async () => {
    expect((await t.inject({ method: 'POST', url: '/v1/orders', payload: { items: [] } })).statusCode).toBe(
      401,
    );
    expect((await t.inject({ method: 'GET', url: '/v1/orders' })).statusCode).toBe(401);
  });
});

describe('order rate limit (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...UNLIMITED, orderRateLimitPerMinute: 3 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('ORDER_RATE_LIMIT_PER_MINUTE order creations per user, then 429 with Retry-After; other users and reads unaffected', async () => {
    const admin = await signedInAdmin(t);
    const user = await signedInUser(t);
    const other = await signedInUser(t);
    const p = await createProduct(t, admin, { stock: 100 });
    const codes = [];
    for (let i = 0; i < 5; i += 1)
      codes.push((await placeOrder(t, user, [{ productId: p.id, quantity: 1 }])).statusCode);
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    const limited = await placeOrder(t, user, [{ productId: p.id, quantity: 1 }]);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stockOf(t, p.id)).toBe(97);
    expect((await placeOrder(t, other, [{ productId: p.id, quantity: 1 }])).statusCode).toBe(201);
    expect((await t.inject({ method: 'GET', url: '/v1/orders', headers: user.auth })).statusCode).toBe(200);
  });
});
