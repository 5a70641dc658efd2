import { createTestDatabase, TestDatabase } from '../helpers/database';
import type { ServiceProcess } from '../helpers/service';
import {
  allDelivered,
  deliveryStatuses,
  openShop,
  outboxEvents,
  placeOrders,
  query,
  Shop,
  startBulwark,
  subscribe,
} from '../helpers/webhooks/bulwark';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

/**
 * The built service as a real process, a real receiver on loopback verifying every signature with
 * the Standard Webhooks reference library. Small backoff values keep the whole file short.
 */
interface Stage {
  db: TestDatabase;
  service: ServiceProcess;
  receiver: Receiver;
  shop: Shop;
  subscriptionId: string;
}

async function stage(env: Record<string, string> = {}): Promise<Stage> {
  const db = await createTestDatabase();
  const service = await startBulwark(db, env);
  const receiver = await startReceiver();
  const shop = await openShop(service, db);
  const { id, secret } = await subscribe(shop.admin, receiver.url);
  receiver.secret = secret;
  return { db, service, receiver, shop, subscriptionId: id };
}

async function teardown(s: Stage | undefined): Promise<void> {
  if (!s) return;
  await s.service.stop();
  await s.receiver.stop();
  await s.db.drop();
}

function gapsOf(times: number[]): number[] {
  return times.slice(1).map((at, i) => at - times[i]);
}

jest.setTimeout(120_000);

describe('webhook delivery (system)', () => {
  describe('a healthy receiver', () => {
    let s: Stage | undefined;
    beforeAll(async () => {
      s = await stage({ WEBHOOK_TIMEOUT_MS: '3000' });
    });
    afterAll(() => teardown(s));

    it('gets every event of 200 orders (and 20 cancellations) exactly once, validly signed, within seconds', async () => {
      const { shop, receiver, db, service } = s as Stage;
      const orderIds = await placeOrders(shop, 200, 10);
      for (const id of orderIds.slice(0, 20)) await shop.shopper.ok('POST', `/v1/orders/${id}/cancel`);
      const events = await outboxEvents(db);
      expect(events).toHaveLength(220);

      await eventually(
        () => receiver.deliveredCounts().size === 220,
        15_000,
        () => `(${receiver.deliveredCounts().size}/220 delivered)`,
      );
      expect(receiver.received).toHaveLength(220); // no retry, no duplicate
      expect(receiver.received.every((r) => r.valid && r.answered === 200 && r.attempt === 1)).toBe(true);
      const byId = new Map(receiver.received.map((r) => [r.webhookId, r]));
      for (const event of events) {
        expect(byId.get(event.id)).toMatchObject({
          type: event.type,
          data: expect.objectContaining({ id: event.aggregate_id }),
        });
      }
      await allDelivered(db, 220);

      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^bulwark_webhook_deliveries_total\{[^}]*result="delivered"[^}]*\} 220$/m);
      expect(metrics).toMatch(/^bulwark_outbox_oldest_pending_age_seconds\{[^}]*\} \d/m);
      expect(service.output()).toMatch(/"deliveryId":"[0-9a-f-]{36}".*"msg":"webhook delivered"/);
    });

    it('a receiver that hangs never slows POST /v1/orders: orders complete while its requests are still open', async () => {
      const { shop, receiver } = s as Stage;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      receiver.respond = async () => {
        await released;
        return 200;
      };
      const [first] = await placeOrders(shop, 1, 1);
      await eventually(
        () => receiver.open > 0,
        5000,
        () => '(the hung receiver got no request)',
      );
      const more = await placeOrders(shop, 10, 2);
      expect(more).toHaveLength(10); // all 201 (placeOrders fails on anything else)…
      expect(receiver.open).toBeGreaterThan(0); // …while deliveries are stuck at the receiver
      release();
      receiver.respond = () => 200;
      const ids = new Set([first, ...more]);
      await eventually(
        () =>
          new Set(receiver.received.filter((r) => r.answered === 200).map((r) => String(r.data.id))).size >=
          200 + ids.size,
        15_000,
        () => '(not every order of the slow phase was delivered)',
      );
    });

    it('SIGTERM stops the dispatcher with the service: exit 0, stop logged', async () => {
      const { service } = s as Stage;
      expect(await service.stop()).toBe(0);
      expect(service.output()).toContain('webhook dispatcher stopped');
    });
  });

  describe('a receiver failing for a while', () => {
    // The same failing receiver twice: with a breaker (opens after 3 failures, probes every 400 ms)
    // and with it effectively off, to show the breaker is what spares the receiver.
    let withBreaker: Stage | undefined;
    let without: Stage | undefined;
    const FAILING_MS = 3000;
    beforeAll(async () => {
      const common = {
        WEBHOOK_MAX_ATTEMPTS: '10',
        WEBHOOK_BASE_DELAY_MS: '150',
        WEBHOOK_MAX_DELAY_MS: '60000',
      };
      [withBreaker, without] = await Promise.all([
        stage({ ...common, WEBHOOK_BREAKER_THRESHOLD: '3', WEBHOOK_BREAKER_HALF_OPEN_MS: '400' }),
        stage({ ...common, WEBHOOK_BREAKER_THRESHOLD: '1000' }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([teardown(withBreaker), teardown(without)]);
    });

    it('retries with growing gaps, opens the breaker (fewer attempts), and delivers everything once the receiver recovers', async () => {
      const stages = [withBreaker as Stage, without as Stage];
      for (const st of stages) {
        let failingUntil = 0;
        st.receiver.respond = () => {
          failingUntil ||= Date.now() + FAILING_MS;
          return Date.now() < failingUntil ? 500 : 200;
        };
      }
      await Promise.all(stages.map((st) => placeOrders(st.shop, 10, 5)));
      await Promise.all(
        stages.map((st) =>
          eventually(
            () => st.receiver.deliveredCounts().size === 10,
            20_000,
            () => `(${st.receiver.deliveredCounts().size}/10 delivered)`,
          ),
        ),
      );

      for (const st of stages) {
        // Nothing lost, nothing dead, nothing delivered twice, every signature valid.
        await allDelivered(st.db, 10);
        expect([...st.receiver.deliveredCounts().values()].every((n) => n === 1)).toBe(true);
        expect(st.receiver.received.every((r) => r.valid)).toBe(true);
        const dead = await st.shop.admin.ok<{ data: unknown[] }>(
          'GET',
          `/v1/webhooks/${st.subscriptionId}/deliveries?status=dead`,
        );
        expect(dead.data).toEqual([]);
      }

      // Without the breaker every delivery retries on its own schedule: attempts numbered 1..n, and
      // the gaps grow. Retry k is scheduled at least d/2 after the failure was recorded, with
      // d = 150 ms * 2^(k-1): a floor that doubles. (Only the floor is checked: a busy machine can
      // only make gaps longer, never shorter.)
      const free = (without as Stage).receiver;
      for (const id of free.deliveredCounts().keys()) {
        const attempts = free.attemptsOf(id);
        expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
        expect(attempts.length).toBeGreaterThanOrEqual(4);
        const gaps = gapsOf(attempts.map((a) => a.at));
        gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual((150 * 2 ** i) / 2));
        expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0]);
      }

      // With the breaker the receiver saw far fewer requests while it was failing.
      const failedWith = (withBreaker as Stage).receiver.received.filter((r) => r.answered === 500).length;
      const failedWithout = free.received.filter((r) => r.answered === 500).length;
      expect(failedWith).toBeLessThan(failedWithout / 2);
      expect((withBreaker as Stage).service.output()).toContain('webhook endpoint circuit breaker open');
      expect((withBreaker as Stage).service.output()).toContain('webhook endpoint circuit breaker closed');
      expect((without as Stage).service.output()).not.toContain('webhook endpoint circuit breaker open');
      const metrics = await (await fetch(`${(withBreaker as Stage).service.url}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(
          `^bulwark_webhook_circuit_breaker_state\\{[^}]*subscription_id="${(withBreaker as Stage).subscriptionId}"[^}]*\\} 0$`,
          'm',
        ),
      );
    });
  });

  describe('a receiver that never recovers', () => {
    let s: Stage | undefined;
    beforeAll(async () => {
      s = await stage({
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_BASE_DELAY_MS: '50',
        WEBHOOK_BREAKER_THRESHOLD: '1000',
      });
    });
    afterAll(() => teardown(s));

    it('ends deliveries dead after the configured attempts; re-queueing one by the API delivers it once the receiver is back', async () => {
      const { shop, receiver, db, service, subscriptionId } = s as Stage;
      receiver.respond = () => 503;
      await placeOrders(shop, 3, 1);
      await eventually(
        async () => (await deliveryStatuses(db)).some((r) => r.status === 'dead' && r.n === 3),
        10_000,
        () => '(not all dead)',
      );
      const events = await outboxEvents(db);
      for (const event of events)
        expect(receiver.attemptsOf(event.id).map((a) => a.attempt)).toEqual([1, 2, 3]);

      const dead = await shop.admin.ok<{
        data: Array<{
          id: string;
          eventId: string;
          attempts: number;
          lastStatusCode: number;
          lastError: string;
        }>;
      }>('GET', `/v1/webhooks/${subscriptionId}/deliveries?status=dead`);
      expect(dead.data).toHaveLength(3);
      expect(dead.data[0]).toMatchObject({
        attempts: 3,
        lastStatusCode: 503,
        lastError: 'receiver answered 503',
      });
      expect(await (await fetch(`${service.url}/metrics`)).text()).toMatch(
        /^bulwark_webhook_deliveries_total\{[^}]*result="dead"[^}]*\} 3$/m,
      );

      receiver.respond = () => 200;
      const target = dead.data[0];
      const requeued = await shop.admin.call('POST', `/v1/webhooks/deliveries/${target.id}/retry`);
      expect(requeued.status).toBe(200);
      await eventually(
        () => receiver.deliveredCounts().get(target.eventId) === 1,
        10_000,
        () => '(the re-queued delivery did not arrive)',
      );
      const [row] = await query<{ status: string; attempts: number }>(
        db,
        'SELECT status, attempts FROM webhook_deliveries WHERE id = $1',
        [target.id],
      );
      expect(row).toEqual({ status: 'delivered', attempts: 1 });
      // The other dead deliveries stay dead: nothing else was sent.
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.received).toHaveLength(3 * 3 + 1);
      expect((await shop.admin.call('POST', `/v1/webhooks/deliveries/${target.id}/retry`)).status).toBe(409);
    });
  });
});
