import { testConfig } from '../../src/config/config';
import { WebhookRetentionJob } from '../../src/webhooks/webhook-retention.job';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin } from '../helpers/auth';
import { sql } from '../helpers/catalog';

describe('webhook retention (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      loginRateLimitPerMinute: 1000,
      webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('forgets old delivered and dead deliveries and their events; never pending ones or recent ones', async () => {
    const admin = await signedInAdmin(t);
    const created = await t.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: admin.auth,
      payload: { url: 'https://93.184.215.14/hooks', events: ['order.created'] },
    });
    expect(created.statusCode).toBe(201);
    const subscriptionId = created.json<{ id: string }>().id;
    // [label, status, age in days]
    const rows: Array<[string, 'pending' | 'delivered' | 'dead', number]> = [
      ['old-delivered', 'delivered', 8],
      ['recent-delivered', 'delivered', 2],
      ['old-dead', 'dead', 31],
      ['recent-dead', 'dead', 10],
      ['old-pending', 'pending', 40],
    ];
    for (const [label, status, days] of rows) {
      const [event] = await sql<{ id: string }>(
        t,
        `INSERT INTO outbox_events (type, aggregate_id, payload, created_at)
         VALUES ('order.created', $1, '{}', now() - make_interval(days => $2)) RETURNING id`,
        [label, days],
      );
      await sql(
        t,
        `INSERT INTO webhook_deliveries (event_id, subscription_id, status, delivered_at, updated_at)
         VALUES ($1, $2, $3::text, CASE WHEN $3::text = 'delivered' THEN now() - make_interval(days => $4) END, now() - make_interval(days => $4))`,
        [event.id, subscriptionId, status, days],
      );
    }

    const result = await t.app.get(WebhookRetentionJob).purge();
    expect(result).toEqual({ deliveries: 2, events: 2 });
    const left = await sql<{ aggregate_id: string }>(
      t,
      'SELECT aggregate_id FROM outbox_events ORDER BY aggregate_id',
    );
    expect(left.map((r) => r.aggregate_id)).toEqual(['old-pending', 'recent-dead', 'recent-delivered']);
  });
});
