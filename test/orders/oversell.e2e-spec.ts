import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { burst, createProduct, metricValue, placeOrder, sql, stockOf, UNLIMITED } from '../helpers/catalog';

/**
 * All 1,000 orders are issued at once by a client holding IN_FLIGHT connections: the row lock of the
 * product sees up to IN_FLIGHT contenders at every moment for the whole burst. (Unbounded in-process
 * concurrency would measure the pool's 800 ms acquisition timeout on a shared 2-core machine — 503s
 * for the authentication query of every request, orders or not — not the order path.)
 */
const IN_FLIGHT = Number(process.env.ORDERS_RACE_IN_FLIGHT ?? 50);

describe('oversell race (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
  });
  afterAll(async () => {
    await t.close();
  });

  it('1,000 orders of quantity 1 issued at once against stock 100 → exactly 100 × 201 and 900 × 409, no 5xx, stock 0', async () => {
    const admin = await signedInAdmin(t);
    const users: SignedIn[] = [];
    for (let i = 0; i < 20; i += 1) users.push(await signedInUser(t));
    const p = await createProduct(t, admin, { stock: 100, priceCents: 700 });

    const answers = await burst(1000, IN_FLIGHT, (i) => placeOrder(t, users[i % users.length] as SignedIn, [{ productId: p.id, quantity: 1 }]));
    const count = (status: number) => answers.filter((r) => r.statusCode === status).length;
    const byStatus = answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ 201: 100, 409: 900 });
    expect(count(201)).toBe(100);
    expect(answers.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'INSUFFICIENT_STOCK')).toBe(true);

    expect(await stockOf(t, p.id)).toBe(0);
    expect(await sql(t, 'SELECT count(*)::int AS orders, sum(total_cents)::int AS total FROM orders')).toEqual([{ orders: 100, total: 70_000 }]);
    expect(await sql(t, 'SELECT count(*)::int AS n, sum(quantity)::int AS q FROM order_items WHERE product_id = $1', [p.id])).toEqual([{ n: 100, q: 100 }]);
    expect(await sql(t, "SELECT count(*)::int AS n FROM audit_log WHERE action = 'order.created'")).toEqual([{ n: 100 }]);
    expect(await sql(t, 'SELECT version FROM products WHERE id = $1', [p.id])).toEqual([{ version: 101 }]);
    expect(await metricValue(t, 'orders_created_total')).toBe(100);
    expect(await metricValue(t, 'order_stock_conflicts_total')).toBe(900);
  });
});
