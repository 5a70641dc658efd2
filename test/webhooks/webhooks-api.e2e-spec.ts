import { testConfig } from '../../src/config/config';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { sql } from '../helpers/catalog';

/** A public address written as a literal: no DNS is needed, and the dispatcher is off (nothing is sent). */
const PUBLIC_URL = 'https://93.184.215.14/hooks/bulwark';

describe('webhooks admin API (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let user: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({
      loginRateLimitPerMinute: 1000,
      webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
    });
    admin = await signedInAdmin(t);
    user = await signedInUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (payload: unknown, who: SignedIn | undefined = admin) =>
    t.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: who?.auth ?? {},
      payload: payload as Record<string, unknown>,
    });

  it.each([
    ['a loopback', 'http://127.0.0.1:8080/hook'],
    ['a loopback-by-name', 'http://localhost/hook'],
    ['an IPv6 loopback', 'http://[::1]/hook'],
    ['an IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook'],
    ['a 10.0.0.0/8', 'https://10.20.30.40/hook'],
    ['a 192.168.0.0/16', 'https://192.168.1.10/hook'],
    ['the cloud metadata (link-local)', 'http://169.254.169.254/latest/meta-data/'],
    ['a numeric loopback form', 'http://2130706433/hook'],
    ['a non-http scheme', 'ftp://93.184.215.14/hook'],
  ])('refuses %s URL with 400 VALIDATION_FAILED naming url, and stores nothing', async (_name, url) => {
    const res = await create({ url, events: ['order.created'] });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'url', message: expect.any(String) }],
    });
    expect(await sql(t, 'SELECT 1 FROM webhook_subscriptions WHERE url = $1', [url])).toHaveLength(0);
  });

  it('validates the body: events from the contract only, distinct, non-empty; no unknown properties', async () => {
    for (const payload of [
      { url: PUBLIC_URL, events: [] },
      { url: PUBLIC_URL, events: ['order.shipped'] },
      { url: PUBLIC_URL, events: ['order.created', 'order.created'] },
      { url: PUBLIC_URL },
      { events: ['order.created'] },
      { url: PUBLIC_URL, events: ['order.created'], secret: 'whsec_mine' },
    ]) {
      const res = await create(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('is admin only: 401 without a token, 403 for a user, on every route', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const routes = [
      {
        method: 'POST' as const,
        url: '/v1/webhooks',
        payload: { url: PUBLIC_URL, events: ['order.created'] },
      },
      { method: 'GET' as const, url: '/v1/webhooks' },
      { method: 'DELETE' as const, url: `/v1/webhooks/${id}` },
      { method: 'GET' as const, url: `/v1/webhooks/${id}/deliveries` },
      { method: 'POST' as const, url: `/v1/webhooks/deliveries/${id}/retry` },
    ];
    for (const route of routes) {
      expect((await t.inject(route)).statusCode).toBe(401);
      expect((await t.inject({ ...route, headers: user.auth })).statusCode).toBe(403);
    }
  });

  it('creates a subscription: 201 with the secret once, stored encrypted, audited; never shown again', async () => {
    const res = await create({ url: PUBLIC_URL, events: ['order.created', 'order.cancelled'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(String),
      url: PUBLIC_URL,
      events: ['order.created', 'order.cancelled'],
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });

    const [row] = await sql<{ secret_ciphertext: Buffer }>(
      t,
      'SELECT secret_ciphertext FROM webhook_subscriptions WHERE id = $1',
      [body.id],
    );
    const secretBytes = Buffer.from(body.secret.slice('whsec_'.length), 'base64');
    expect(row.secret_ciphertext.includes(secretBytes)).toBe(false);
    expect(row.secret_ciphertext.toString('latin1')).not.toContain(body.secret.slice(6));

    const list = await t.inject({ method: 'GET', url: '/v1/webhooks', headers: admin.auth });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(body.secret.slice(6));
    expect(list.json().data).toContainEqual({
      id: body.id,
      url: PUBLIC_URL,
      events: ['order.created', 'order.cancelled'],
      createdAt: body.createdAt,
    });

    const audit = await sql<{ actor_id: string; changes: Record<string, unknown> }>(
      t,
      `SELECT actor_id, changes FROM audit_log WHERE action = 'webhook.created' AND entity_id = $1`,
      [body.id],
    );
    expect(audit).toEqual([
      { actor_id: admin.id, changes: { url: PUBLIC_URL, events: ['order.created', 'order.cancelled'] } },
    ]);
    expect(JSON.stringify(audit)).not.toContain(body.secret.slice(6));
    expect(t.logText()).not.toContain(body.secret.slice(6));
  });

  it('lists newest first with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await create({ url: `${PUBLIC_URL}/${i}`, events: ['order.created'] })).json().id);
    const first = await t.inject({ method: 'GET', url: '/v1/webhooks?limit=2', headers: admin.auth });
    expect(first.json().data.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    expect(first.json().nextCursor).toEqual(expect.any(String));
    const second = await t.inject({
      method: 'GET',
      url: `/v1/webhooks?limit=2&cursor=${first.json().nextCursor}`,
      headers: admin.auth,
    });
    expect(second.json().data[0].id).toBe(ids[0]);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/webhooks?limit=0', headers: admin.auth })).statusCode,
    ).toBe(400);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/webhooks?cursor=bogus', headers: admin.auth })).statusCode,
    ).toBe(400);
  });

  it('deletes with 204 (audited); the subscription is then 404 and its pending deliveries end dead', async () => {
    const { id } = (await create({ url: PUBLIC_URL, events: ['order.created'] })).json();
    const [event] = await sql<{ id: string }>(
      t,
      `INSERT INTO outbox_events (type, aggregate_id, payload) VALUES ('order.created', 'o-1', '{}') RETURNING id`,
    );
    await sql(t, 'INSERT INTO webhook_deliveries (event_id, subscription_id) VALUES ($1, $2)', [
      event.id,
      id,
    ]);

    expect(
      (await t.inject({ method: 'DELETE', url: `/v1/webhooks/${id}`, headers: admin.auth })).statusCode,
    ).toBe(204);
    expect(
      (await t.inject({ method: 'DELETE', url: `/v1/webhooks/${id}`, headers: admin.auth })).json().code,
    ).toBe('NOT_FOUND');
    expect(
      (await t.inject({ method: 'GET', url: `/v1/webhooks/${id}/deliveries`, headers: admin.auth }))
        .statusCode,
    ).toBe(404);
    expect(
      (await t.inject({ method: 'DELETE', url: '/v1/webhooks/not-a-uuid', headers: admin.auth })).statusCode,
    ).toBe(404);
    const list = await t.inject({ method: 'GET', url: '/v1/webhooks?limit=100', headers: admin.auth });
    expect(list.json().data.map((w: { id: string }) => w.id)).not.toContain(id);
    expect(
      await sql(t, 'SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1', [id]),
    ).toEqual([{ status: 'dead', last_error: 'subscription deleted' }]);
    expect(
      await sql(t, `SELECT 1 FROM audit_log WHERE action = 'webhook.deleted' AND entity_id = $1`, [id]),
    ).toHaveLength(1);
  });

  it('lists deliveries by status, and re-queues only a dead one (409 otherwise), audited', async () => {
    const { id } = (await create({ url: PUBLIC_URL, events: ['order.created'] })).json();
    const deliveries: Record<string, string> = {};
    for (const status of ['pending', 'delivered', 'dead']) {
      const [event] = await sql<{ id: string }>(
        t,
        `INSERT INTO outbox_events (type, aggregate_id, payload) VALUES ('order.created', $1, '{}') RETURNING id`,
        [status],
      );
      const [d] = await sql<{ id: string }>(
        t,
        `INSERT INTO webhook_deliveries (event_id, subscription_id, status, attempts, delivered_at, last_error)
         VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'delivered' THEN now() END, CASE WHEN $3 = 'dead' THEN 'receiver answered 500' END) RETURNING id`,
        [event.id, id, status, status === 'dead' ? 3 : 1],
      );
      deliveries[status] = d.id;
    }
    const all = await t.inject({ method: 'GET', url: `/v1/webhooks/${id}/deliveries`, headers: admin.auth });
    expect(all.statusCode).toBe(200);
    expect(all.json().data).toHaveLength(3);
    expect(all.json().nextCursor).toBeNull();
    const dead = await t.inject({
      method: 'GET',
      url: `/v1/webhooks/${id}/deliveries?status=dead`,
      headers: admin.auth,
    });
    expect(dead.json().data).toEqual([
      expect.objectContaining({
        id: deliveries.dead,
        subscriptionId: id,
        eventType: 'order.created',
        status: 'dead',
        attempts: 3,
        nextAttemptAt: null,
        lastError: 'receiver answered 500',
      }),
    ]);
    expect(
      (
        await t.inject({
          method: 'GET',
          url: `/v1/webhooks/${id}/deliveries?status=lost`,
          headers: admin.auth,
        })
      ).statusCode,
    ).toBe(400);
    const paged = await t.inject({
      method: 'GET',
      url: `/v1/webhooks/${id}/deliveries?limit=2`,
      headers: admin.auth,
    });
    const rest = await t.inject({
      method: 'GET',
      url: `/v1/webhooks/${id}/deliveries?limit=2&cursor=${paged.json().nextCursor}`,
      headers: admin.auth,
    });
    expect([...paged.json().data, ...rest.json().data].map((d: { id: string }) => d.id).sort()).toEqual(
      Object.values(deliveries).sort(),
    );

    const retry = (deliveryId: string) =>
      t.inject({ method: 'POST', url: `/v1/webhooks/deliveries/${deliveryId}/retry`, headers: admin.auth });
    const requeued = await retry(deliveries.dead);
    expect(requeued.statusCode).toBe(200);
    expect(requeued.json()).toMatchObject({
      id: deliveries.dead,
      status: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: expect.any(String),
    });
    for (const again of [deliveries.dead, deliveries.pending, deliveries.delivered]) {
      const res = await retry(again);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('INVALID_STATE_TRANSITION');
    }
    expect((await retry('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect(
      await sql(
        t,
        `SELECT actor_id FROM audit_log WHERE action = 'webhook.delivery_retried' AND entity_id = $1`,
        [deliveries.dead],
      ),
    ).toEqual([{ actor_id: admin.id }]);
  });
});
