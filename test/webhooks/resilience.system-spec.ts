import { createTestDatabase, TestDatabase } from '../helpers/database';
import type { ServiceProcess } from '../helpers/service';
import {
  allDelivered,
  openShop,
  outboxEvents,
  placeOrders,
  startBulwark,
  subscribe,
} from '../helpers/webhooks/bulwark';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

// Real processes on a 2-core machine that may be busy: generous per-test limits (the assertions'
// own deadlines are the "within seconds" bounds).
jest.setTimeout(120_000);

describe('webhook delivery across crashes and replicas (system)', () => {
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  const services: ServiceProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
    await receiver?.stop();
    await db?.drop();
  });

  it('SIGKILL with deliveries in flight: after a restart every event is still delivered, under its stable webhook-id', async () => {
    const d = db as TestDatabase;
    const r = receiver as Receiver;
    // A 500 ms timeout gives a 6 s lease: the claims of the killed process come back after it.
    const env = { WEBHOOK_TIMEOUT_MS: '500' };
    const first = await startBulwark(d, env);
    services.push(first);
    const shop = await openShop(first, d);
    r.secret = (await subscribe(shop.admin, r.url)).secret;
    r.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 5000)); // slower than the timeout: always in flight
    await placeOrders(shop, 40, 5);
    await eventually(
      () => r.open >= 5,
      5000,
      () => `(only ${r.open} requests in flight)`,
    );

    first.kill('SIGKILL');
    await first.exited;
    const inFlightAtKill = r.received.filter((h) => h.answered === 0).map((h) => h.webhookId);
    expect(inFlightAtKill.length).toBeGreaterThanOrEqual(5);

    r.respond = () => 200;
    const second = await startBulwark(d, env);
    services.push(second);
    const events = await outboxEvents(d);
    expect(events).toHaveLength(40);
    await eventually(
      () => events.every((e) => (r.deliveredCounts().get(e.id) ?? 0) >= 1),
      20_000,
      () => `(${r.deliveredCounts().size}/40 delivered)`,
    );
    await allDelivered(d, 40);

    // At least once: what was in flight at the kill arrived again, with the same id and the same
    // data, so a receiver that dedupes by webhook-id processes each event once.
    for (const id of inFlightAtKill) {
      const copies = r.attemptsOf(id);
      expect(copies.length).toBeGreaterThanOrEqual(2);
      expect(new Set(copies.map((c) => JSON.stringify(c.data))).size).toBe(1);
      expect(copies.every((c) => c.valid)).toBe(true);
    }
    expect(new Set(r.received.map((h) => h.webhookId))).toEqual(new Set(events.map((e) => e.id)));
  });

  it('two processes on one database: every event delivered exactly once, no attempt ever sent twice', async () => {
    const d = db as TestDatabase;
    const r = receiver as Receiver;
    // The breaker is kept out of the way here (every first attempt fails on purpose).
    const env = { WEBHOOK_BREAKER_THRESHOLD: '1000' };
    const [a, b] = await Promise.all([startBulwark(d, env), startBulwark(d, env)]);
    services.push(a, b);
    const shop = await openShop(a, d);
    r.secret = (await subscribe(shop.admin, r.url)).secret;
    // Every event's first attempt fails: its retry may be claimed by either process.
    r.respond = (hook) => (hook.attempt === 1 ? 500 : 200);
    await placeOrders(shop, 200, 10, [shop.shopper, shop.shopper.on(b.url)]);
    const events = await outboxEvents(d);
    expect(events).toHaveLength(200);

    await eventually(
      () => r.deliveredCounts().size === 200,
      30_000,
      () => `(${r.deliveredCounts().size}/200 delivered)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything sent twice would arrive now
    const pairs = r.received.map((h) => `${h.webhookId}#${h.attempt}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect([...r.deliveredCounts().values()].every((n) => n === 1)).toBe(true);
    expect(r.received).toHaveLength(400);
    expect(r.received.every((h) => h.valid)).toBe(true);
    await allDelivered(d, 200);
    // Both replicas took part.
    for (const service of [a, b]) expect(service.output()).toContain('"msg":"webhook delivered"');
  });
});
