import { DataSource } from 'typeorm';
import { testConfig } from '../../src/config/config';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { OutboxWriter } from '../../src/webhooks/outbox.writer';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { cancelOrder, createProduct, placeOrder, sql } from '../helpers/catalog';

const PUBLIC_URL = 'https://93.184.215.14/hooks';

describe('transactional outbox (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let user: SignedIn;
  const subs: Record<'both' | 'cancelledOnly' | 'deleted', string> = {
    both: '',
    cancelledOnly: '',
    deleted: '',
  };

  beforeAll(async () => {
    t = await createTestApp({
      loginRateLimitPerMinute: 1000,
      webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
    });
    admin = await signedInAdmin(t);
    user = await signedInUser(t);
    const create = async (events: string[]) =>
      (
        await t.inject({
          method: 'POST',
          url: '/v1/webhooks',
          headers: admin.auth,
          payload: { url: PUBLIC_URL, events },
        })
      ).json<{ id: string }>().id;
    subs.both = await create(['order.created', 'order.cancelled']);
    subs.cancelledOnly = await create(['order.cancelled']);
    subs.deleted = await create(['order.created', 'order.cancelled']);
    await t.inject({ method: 'DELETE', url: `/v1/webhooks/${subs.deleted}`, headers: admin.auth });
  });
  afterAll(async () => {
    await t.close();
  });

  const eventsFor = (orderId: string) =>
    sql<{ id: string; type: string; payload: Record<string, unknown> }>(
      t,
      'SELECT id, type, payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY created_at',
      [orderId],
    );
  const deliveriesOf = (eventId: string) =>
    sql<{ subscription_id: string; status: string; attempts: number }>(
      t,
      'SELECT subscription_id, status, attempts FROM webhook_deliveries WHERE event_id = $1',
      [eventId],
    );

  it('writes order.created with the order as data, fanned out to the matching active subscriptions only', async () => {
    const product = await createProduct(t, admin, { stock: 5 });
    const res = await placeOrder(t, user, [{ productId: product.id, quantity: 2 }]);
    expect(res.statusCode).toBe(201);
    const order = res.json();
    const events = await eventsFor(order.id);
    expect(events).toEqual([{ id: expect.any(String), type: 'order.created', payload: order }]);
    expect(await deliveriesOf(events[0].id)).toEqual([
      { subscription_id: subs.both, status: 'pending', attempts: 0 },
    ]);
  });

  it('writes order.cancelled on cancel, to both subscriptions that asked for it', async () => {
    const product = await createProduct(t, admin, { stock: 5 });
    const order = (await placeOrder(t, user, [{ productId: product.id, quantity: 1 }])).json();
    const cancelled = await cancelOrder(t, user, order.id);
    expect(cancelled.statusCode).toBe(200);
    const events = await eventsFor(order.id);
    expect(events.map((e) => e.type)).toEqual(['order.created', 'order.cancelled']);
    expect(events[1].payload).toEqual(cancelled.json());
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    const fanout = await deliveriesOf(events[1].id);
    expect(fanout.map((d) => d.subscription_id).sort()).toEqual([subs.both, subs.cancelledOnly].sort());

    // A refused second cancel changes nothing: no event.
    expect((await cancelOrder(t, user, order.id)).statusCode).toBe(409);
    expect(await eventsFor(order.id)).toHaveLength(2);
  });

  it('a refused order (insufficient stock, unknown product) leaves no event and no delivery', async () => {
    const [{ n: eventsBefore }] = await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM outbox_events');
    const [{ n: deliveriesBefore }] = await sql<{ n: number }>(
      t,
      'SELECT count(*)::int AS n FROM webhook_deliveries',
    );
    const product = await createProduct(t, admin, { stock: 1 });
    expect((await placeOrder(t, user, [{ productId: product.id, quantity: 2 }])).statusCode).toBe(409);
    expect(
      (await placeOrder(t, user, [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }]))
        .statusCode,
    ).toBe(422);
    expect(await sql(t, 'SELECT count(*)::int AS n FROM outbox_events')).toEqual([{ n: eventsBefore }]);
    expect(await sql(t, 'SELECT count(*)::int AS n FROM webhook_deliveries')).toEqual([
      { n: deliveriesBefore },
    ]);
  });

  it('an event written in a transaction that rolls back is gone with it; outside a transaction it is refused', async () => {
    const outbox = t.app.get(OutboxWriter);
    let written = '';
    await expect(
      t.app.get(TransactionRunner).run(async (manager) => {
        written = await outbox.enqueue(manager, {
          type: 'order.created',
          aggregateId: 'rolled-back',
          payload: { id: 'rolled-back' },
        });
        throw new Error('business rule failed after the event was written');
      }),
    ).rejects.toThrow('business rule failed');
    expect(written).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      await sql(t, 'SELECT 1 FROM outbox_events WHERE id = $1 OR aggregate_id = $2', [
        written,
        'rolled-back',
      ]),
    ).toHaveLength(0);
    expect(await sql(t, 'SELECT 1 FROM webhook_deliveries WHERE event_id = $1', [written])).toHaveLength(0);
    await expect(
      outbox.enqueue(t.app.get(DataSource).manager, { type: 'order.created', aggregateId: 'x', payload: {} }),
    ).rejects.toThrow(/inside the transaction/);
  });
});
