import { testConfig } from '../../src/config/config';
import { WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, SignedIn } from '../helpers/auth';
import { sql } from '../helpers/catalog';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

/**
 * A pending delivery of a deleted subscription, as the delete/fan-out race leaves one (the order's
 * transaction committed its delivery after the DELETE had marked the subscription's pending ones
 * dead): written here directly, after the delete. It must never be sent, and must end dead.
 */
async function subscribe(t: TestApp, admin: SignedIn, url: string): Promise<string> {
  const res = await t.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: admin.auth,
    payload: { url, events: ['order.created'] },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

async function remove(t: TestApp, admin: SignedIn, id: string): Promise<void> {
  expect(
    (await t.inject({ method: 'DELETE', url: `/v1/webhooks/${id}`, headers: admin.auth })).statusCode,
  ).toBe(204);
}

/** An event and one pending delivery of it to `subscriptionId`, due now: what the outbox writer would commit. */
async function pendingDelivery(
  t: TestApp,
  subscriptionId: string,
): Promise<{ eventId: string; deliveryId: string }> {
  const [event] = await sql<{ id: string }>(
    t,
    `INSERT INTO outbox_events (type, aggregate_id, payload) VALUES ('order.created', 'order-x', '{"id":"order-x"}') RETURNING id`,
  );
  const [delivery] = await sql<{ id: string }>(
    t,
    `INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at) VALUES ($1, $2, clock_timestamp()) RETURNING id`,
    [event.id, subscriptionId],
  );
  return { eventId: event.id, deliveryId: delivery.id };
}

const deliveryRow = async (t: TestApp, id: string) =>
  (
    await sql<{ status: string; attempts: number; last_error: string | null }>(
      t,
      'SELECT status, attempts, last_error FROM webhook_deliveries WHERE id = $1',
      [id],
    )
  )[0];

describe('deliveries of a deleted subscription (e2e)', () => {
  describe('the delivery store', () => {
    let t: TestApp;
    let admin: SignedIn;
    beforeAll(async () => {
      t = await createTestApp({
        loginRateLimitPerMinute: 1000,
        webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
      });
      admin = await signedInAdmin(t);
    });
    afterAll(async () => {
      await t.close();
    });

    it('never claims one, and deadOrphans ends it dead (leaving live subscriptions’ deliveries alone)', async () => {
      const live = await subscribe(t, admin, 'https://93.184.215.14/live');
      const deleted = await subscribe(t, admin, 'https://93.184.215.14/deleted');
      await remove(t, admin, deleted);
      const orphan = await pendingDelivery(t, deleted);
      const kept = await pendingDelivery(t, live);

      const store = t.app.get(WebhookDeliveriesRepository);
      const claimed = await store.claim(100, 60_000);
      expect(claimed.map((d) => d.id)).toEqual([kept.deliveryId]);
      expect(await deliveryRow(t, orphan.deliveryId)).toEqual({
        status: 'pending',
        attempts: 0,
        last_error: null,
      });

      expect(await store.deadOrphans()).toBe(1);
      expect(await deliveryRow(t, orphan.deliveryId)).toEqual({
        status: 'dead',
        attempts: 0,
        last_error: 'subscription deleted',
      });
      expect(await deliveryRow(t, kept.deliveryId)).toMatchObject({ status: 'pending', attempts: 1 });
      expect(await store.deadOrphans()).toBe(0);
    });
  });

  describe('the dispatcher', () => {
    let t: TestApp;
    let admin: SignedIn;
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
      t = await createTestApp({
        loginRateLimitPerMinute: 1000,
        webhooksAllowPrivate: true,
        webhooks: { ...testConfig().webhooks, pollIntervalMs: 20 },
      });
      admin = await signedInAdmin(t);
    });
    afterAll(async () => {
      await t.close();
      await receiver.stop();
    });

    it('never sends it and ends it dead, while delivering the live subscription’s', async () => {
      const live = await subscribe(t, admin, receiver.url);
      const deleted = await subscribe(t, admin, receiver.url);
      await remove(t, admin, deleted);
      const orphan = await pendingDelivery(t, deleted);
      const kept = await pendingDelivery(t, live);

      await eventually(
        async () => (await deliveryRow(t, kept.deliveryId)).status === 'delivered',
        10_000,
        () => '(the live delivery was not delivered)',
      );
      await eventually(
        async () => (await deliveryRow(t, orphan.deliveryId)).status === 'dead',
        10_000,
        () => '(the orphaned delivery is not dead)',
      );
      expect(await deliveryRow(t, orphan.deliveryId)).toEqual({
        status: 'dead',
        attempts: 0,
        last_error: 'subscription deleted',
      });
      expect(receiver.attemptsOf(kept.eventId)).toHaveLength(1);
      expect(receiver.attemptsOf(orphan.eventId)).toEqual([]);
      expect(receiver.received).toHaveLength(1);
    });
  });
});
