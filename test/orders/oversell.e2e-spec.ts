import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { burst, createProduct, metricValue, placeOrder, sql, stockOf, UNLIMITED } from '../helpers/catalog';

/**
 * All 1,000 orders are in flight at once (1,000 concurrent requests against one product row). What
 * the pool and the transaction admission cannot serve at once waits in their queues, bounded by the
 * statement budget (src/database/data-source-options.ts, src/database/transaction-runner.ts); past
 * it a request is shed with 503. The race gives the queue a budget that covers the whole burst on a
 * loaded 2-core CI machine, so that what is measured is the stock arithmetic, not load shedding.
 */
const IN_FLIGHT = 1000;
const QUEUE_BUDGET = { dbStatementTimeoutMs: 60_000 };

describe('oversell race (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...UNLIMITED, ...QUEUE_BUDGET });
  });
  afterAll(async () => {
    await t.close();
  });

  it('1,000 orders of quantity 1 issued at once against stock 100 → exactly 100 × 201 and 900 × 409, no 5xx, stock 0', async () => {
    const admin = await signedInAdmin(t);
    const users: SignedIn[] = [];
    for (let i = 0; i < 20; i += 1) users.push(await signedInUser(t));
    const p = await createProduct(t, admin, { stock: 100, priceCents: 700 });

    const answers = await burst(1000, IN_FLIGHT, (i) =>
      placeOrder(t, users[i % users.length] as SignedIn, [{ productId: p.id, quantity: 1 }]),
    );
    const count = (status: number) => answers.filter((r) => r.statusCode === status).length;
    const byStatus = answers.reduce<Record<number, number>>(
      (acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }),
      {},
    );
    expect(byStatus).toEqual({ 201: 100, 409: 900 });
    expect(count(201)).toBe(100);
    expect(
      answers.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'INSUFFICIENT_STOCK'),
    ).toBe(true);

    expect(await stockOf(t, p.id)).toBe(0);
    expect(
      await sql(t, 'SELECT count(*)::int AS orders, sum(total_cents)::int AS total FROM orders'),
    ).toEqual([{ orders: 100, total: 70_000 }]);
    expect(
      await sql(
        t,
        'SELECT count(*)::int AS n, sum(quantity)::int AS q FROM order_items WHERE product_id = $1',
        [p.id],
      ),
    ).toEqual([{ n: 100, q: 100 }]);
    expect(await sql(t, "SELECT count(*)::int AS n FROM audit_log WHERE action = 'order.created'")).toEqual([
      { n: 100 },
    ]);
    expect(await sql(t, 'SELECT version FROM products WHERE id = $1', [p.id])).toEqual([{ version: 101 }]);
    expect(await metricValue(t, 'bulwark_orders_created_total')).toBe(100);
    expect(await metricValue(t, 'bulwark_order_stock_conflicts_total')).toBe(900);
  });
});
