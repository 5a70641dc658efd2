import { randomUUID } from 'node:crypto';
import { HealthCheckService } from '@nestjs/terminus';
import { Lifecycle } from '../../src/common/lifecycle';
import { testConfig } from '../../src/config/config';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn, uniqueEmail } from '../helpers/auth';
import { OpenApiContract, OpenApiDocument } from '../helpers/openapi-contract';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

/**
 * The API document cannot drift from the code: every operation of /docs/openapi.json is called for
 * real (a success and at least one problem), every answer is checked against the documented status,
 * schema and headers (OpenApiContract, with ajv's JSON Schema 2020-12 build), every success's request
 * must be valid by the document too, and the webhook events actually delivered are checked against
 * the `webhooks` section. The last test fails when an operation of the document was not exercised.
 */
describe('OpenAPI document against real answers (e2e)', () => {
  let t: TestApp;
  let api: OpenApiContract;
  let admin: SignedIn;
  let user: SignedIn;
  let receiver: Receiver;
  let failing: Receiver;
  const unknownId = randomUUID();

  const as = (who: SignedIn | undefined) => (who ? { headers: who.auth } : {});

  beforeAll(async () => {
    receiver = await startReceiver();
    failing = await startReceiver();
    failing.respond = () => 500;
    t = await createTestApp({
      loginRateLimitPerMinute: 3,
      webhooksAllowPrivate: true,
      // One attempt: a failing receiver's delivery is dead at once, to exercise the retry operation.
      webhooks: { ...testConfig().webhooks, pollIntervalMs: 20, maxAttempts: 1 },
    });
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    api = new OpenApiContract(res.json<OpenApiDocument>(), t);
    admin = await signedInAdmin(t);
    user = await signedInUser(t);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
    await receiver.stop();
    await failing.stop();
  });

  it('auth: register, login, refresh, logout', async () => {
    const email = uniqueEmail('doc');
    const body = { email, password: 'correct-horse-battery', name: 'Doc Tester' };
    expect((await api.request({ method: 'POST', url: '/v1/auth/register', payload: body })).statusCode).toBe(
      201,
    );
    expect((await api.request({ method: 'POST', url: '/v1/auth/register', payload: body })).statusCode).toBe(
      409,
    );
    const extra = { ...body, email: uniqueEmail('doc'), role: 'admin' };
    expect((await api.request({ method: 'POST', url: '/v1/auth/register', payload: extra })).statusCode).toBe(
      400,
    );
    const tooLarge = { ...body, name: 'x'.repeat(200 * 1024) };
    expect(
      (await api.request({ method: 'POST', url: '/v1/auth/register', payload: tooLarge })).statusCode,
    ).toBe(413);

    const login = await api.request({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password: body.password },
    });
    expect(login.statusCode).toBe(200);
    const first = login.json<{ accessToken: string; refreshToken: string }>();
    const wrong = { email, password: 'not-the-password' };
    expect((await api.request({ method: 'POST', url: '/v1/auth/login', payload: wrong })).statusCode).toBe(
      401,
    );
    // Over LOGIN_RATE_LIMIT_PER_MINUTE (3 here) tries of one e-mail: 429 with Retry-After.
    let limited = 0;
    for (let i = 0; i < 3 && limited === 0; i += 1) {
      const res = await api.request({ method: 'POST', url: '/v1/auth/login', payload: wrong });
      if (res.statusCode === 429) limited += 1;
    }
    expect(limited).toBe(1);

    const refreshed = await api.request({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: first.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    const second = refreshed.json<{ accessToken: string; refreshToken: string }>();
    const reused = await api.request({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: first.refreshToken },
    });
    expect(reused.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

    const other = await signedInUser(t);
    const logout = { method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: other.refreshToken } };
    expect((await api.request(logout)).statusCode).toBe(401);
    expect((await api.request({ ...logout, headers: other.auth })).statusCode).toBe(204);
    expect(second.accessToken).toEqual(expect.any(String));
  });

  it('users: me, change me, admin list, get and change', async () => {
    expect((await api.request({ method: 'GET', url: '/v1/users/me', ...as(user) })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/users/me' })).statusCode).toBe(401);
    const me = { method: 'PATCH', url: '/v1/users/me', headers: user.auth };
    expect((await api.request({ ...me, payload: { name: 'Renamed' } })).statusCode).toBe(200);
    const noCurrent = await api.request({ ...me, payload: { password: 'a-brand-new-password' } });
    expect(noCurrent.json()).toMatchObject({ code: 'CURRENT_PASSWORD_INVALID' });

    expect(
      (await api.request({ method: 'GET', url: `/v1/users?limit=5&email=${user.email}`, ...as(admin) }))
        .statusCode,
    ).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/users', ...as(user) })).statusCode).toBe(403);
    expect((await api.request({ method: 'GET', url: `/v1/users/${user.id}`, ...as(admin) })).statusCode).toBe(
      200,
    );
    expect(
      (await api.request({ method: 'GET', url: `/v1/users/${unknownId}`, ...as(admin) })).statusCode,
    ).toBe(404);
    const change = { method: 'PATCH', headers: admin.auth, payload: { name: 'By Admin' } };
    expect((await api.request({ ...change, url: `/v1/users/${user.id}` })).statusCode).toBe(200);
    expect((await api.request({ ...change, url: `/v1/users/${unknownId}` })).statusCode).toBe(404);
  });

  let productId: string;
  let version: number;

  it('products: list, create, get, change with If-Match', async () => {
    const payload = {
      sku: `DOC-${randomUUID().slice(0, 8)}`,
      name: 'Documented',
      priceCents: 1250,
      stock: 5,
    };
    const created = await api.request({ method: 'POST', url: '/v1/products', headers: admin.auth, payload });
    expect(created.statusCode).toBe(201);
    ({ id: productId, version } = created.json<{ id: string; version: number }>());
    expect(
      (await api.request({ method: 'POST', url: '/v1/products', headers: admin.auth, payload })).statusCode,
    ).toBe(409);

    expect((await api.request({ method: 'GET', url: '/v1/products?limit=2', ...as(user) })).statusCode).toBe(
      200,
    );
    expect((await api.request({ method: 'GET', url: '/v1/products?limit=0', ...as(user) })).statusCode).toBe(
      400,
    );
    expect(
      (await api.request({ method: 'GET', url: `/v1/products/${productId}`, ...as(user) })).statusCode,
    ).toBe(200);
    expect(
      (await api.request({ method: 'GET', url: `/v1/products/${unknownId}`, ...as(user) })).statusCode,
    ).toBe(404);

    const change = { method: 'PATCH', url: `/v1/products/${productId}`, payload: { stock: 20 } };
    const fresh = await api.request({ ...change, headers: { ...admin.auth, 'if-match': `"${version}"` } });
    expect(fresh.statusCode).toBe(200);
    const stale = await api.request({ ...change, headers: { ...admin.auth, 'if-match': `"${version}"` } });
    expect(stale.json()).toMatchObject({ code: 'PRECONDITION_FAILED' });
  });

  let webhookId: string;

  it('webhooks: subscribe (and refuse a bad body), list', async () => {
    const subscribe = (payload: unknown, who = admin) =>
      api.request({ method: 'POST', url: '/v1/webhooks', headers: who.auth, payload: payload as object });
    const created = await subscribe({ url: receiver.url, events: ['order.created', 'order.cancelled'] });
    expect(created.statusCode).toBe(201);
    ({ id: webhookId } = created.json<{ id: string }>());
    receiver.secret = created.json<{ secret: string }>().secret;
    const dead = await subscribe({ url: failing.url, events: ['order.created'] });
    expect(dead.statusCode).toBe(201);
    expect((await subscribe({ url: receiver.url, events: ['order.shipped'] })).statusCode).toBe(400);

    expect((await api.request({ method: 'GET', url: '/v1/webhooks', ...as(admin) })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/webhooks', ...as(user) })).statusCode).toBe(403);
  });

  let orderId: string;

  it('orders: place (idempotent), list, get, cancel', async () => {
    const place = (payload: unknown, key?: string) =>
      api.request({
        method: 'POST',
        url: '/v1/orders',
        headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
        payload: payload as object,
      });
    const key = randomUUID();
    const first = await place({ items: [{ productId, quantity: 2 }] }, key);
    expect(first.statusCode).toBe(201);
    orderId = first.json<{ id: string }>().id;
    const replay = await place({ items: [{ productId, quantity: 2 }] }, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await place({ items: [{ productId, quantity: 3 }] }, key)).json()).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect((await place({ items: [{ productId, quantity: 1000 }] })).json()).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
    });
    expect((await place({ items: [{ productId: unknownId, quantity: 1 }] })).json()).toMatchObject({
      code: 'UNKNOWN_PRODUCT',
    });
    const malformed = await api.request({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...user.auth, 'content-type': 'application/json' },
      payload: '{"items": [',
    });
    expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    const xml = await api.request({
      method: 'POST',
      url: '/v1/orders',
      headers: { ...user.auth, 'content-type': 'application/xml' },
      payload: '<items/>',
    });
    expect(xml.statusCode).toBe(415);

    expect((await api.request({ method: 'GET', url: '/v1/orders?limit=10', ...as(user) })).statusCode).toBe(
      200,
    );
    expect(
      (await api.request({ method: 'GET', url: `/v1/orders?userId=${user.id}`, ...as(admin) })).statusCode,
    ).toBe(200);
    expect(
      (await api.request({ method: 'GET', url: '/v1/orders?userId=nope', ...as(admin) })).statusCode,
    ).toBe(400);
    expect((await api.request({ method: 'GET', url: `/v1/orders/${orderId}`, ...as(user) })).statusCode).toBe(
      200,
    );
    expect(
      (await api.request({ method: 'GET', url: `/v1/orders/${orderId}`, ...as(admin) })).statusCode,
    ).toBe(200);
    expect(
      (await api.request({ method: 'GET', url: `/v1/orders/${unknownId}`, ...as(user) })).statusCode,
    ).toBe(404);

    const cancel = { method: 'POST', url: `/v1/orders/${orderId}/cancel`, headers: user.auth };
    expect((await api.request(cancel)).statusCode).toBe(200);
    expect((await api.request(cancel)).json()).toMatchObject({ code: 'INVALID_STATE_TRANSITION' });
  });

  it('webhooks: the events delivered match the `webhooks` section; deliveries are listed and retried', async () => {
    await eventually(
      () => receiver.received.length >= 2,
      20_000,
      () => `(received ${receiver.received.map((r) => r.type).join(', ')})`,
    );
    for (const hook of receiver.received) {
      expect(hook.valid).toBe(true);
      api.checkWebhook(hook.type, hook.body, hook.headers);
    }
    expect(receiver.received.map((r) => r.type).sort()).toEqual(['order.cancelled', 'order.created']);

    const deliveries = `/v1/webhooks/${webhookId}/deliveries`;
    // The receiver answers before the dispatcher records the outcome: wait for both records.
    let delivered: Array<{ id: string }> = [];
    await eventually(
      async () => {
        const res = await api.request({ method: 'GET', url: `${deliveries}?status=delivered`, ...as(admin) });
        delivered = res.json<{ data: Array<{ id: string }> }>().data;
        return delivered.length === 2;
      },
      20_000,
      () => `(${delivered.length} delivered)`,
    );
    expect(
      (await api.request({ method: 'GET', url: `${deliveries}?status=lost`, ...as(admin) })).statusCode,
    ).toBe(400);
    const deliveryId = delivered[0].id;
    const retry = (id: string) =>
      api.request({ method: 'POST', url: `/v1/webhooks/deliveries/${id}/retry`, headers: admin.auth });
    expect((await retry(deliveryId)).json()).toMatchObject({ code: 'INVALID_STATE_TRANSITION' });

    // The failing receiver's delivery is dead after its one attempt; the retry re-queues it.
    const list = await api.request({ method: 'GET', url: '/v1/webhooks?limit=100', ...as(admin) });
    const deadHook = list
      .json<{ data: Array<{ id: string; url: string }> }>()
      .data.find((w) => w.url === failing.url);
    let deadId: string | undefined;
    await eventually(
      async () => {
        const res = await api.request({
          method: 'GET',
          url: `/v1/webhooks/${deadHook?.id}/deliveries?status=dead`,
          headers: admin.auth,
        });
        deadId = res.json<{ data: Array<{ id: string }> }>().data[0]?.id;
        return deadId !== undefined;
      },
      20_000,
      () => '(the failing delivery never ended dead)',
    );
    expect((await retry(deadId ?? '')).statusCode).toBe(200);
  });

  it('audit: admin reads the trail; a user may not', async () => {
    const res = await api.request({ method: 'GET', url: '/v1/audit?limit=100', ...as(admin) });
    expect(res.json<{ data: unknown[] }>().data.length).toBeGreaterThan(5);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const filtered = `/v1/audit?entity=order&action=order.created&actorId=${user.id}&from=${since}`;
    expect((await api.request({ method: 'GET', url: filtered, ...as(admin) })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/v1/audit', ...as(user) })).statusCode).toBe(403);
  });

  it('webhooks: delete a subscription, then it is not found', async () => {
    const remove = { method: 'DELETE', url: `/v1/webhooks/${webhookId}`, headers: admin.auth };
    expect((await api.request(remove)).statusCode).toBe(204);
    expect((await api.request(remove)).statusCode).toBe(404);
  });

  it('operations: liveness, metrics and readiness, and their failures', async () => {
    expect((await api.request({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await api.request({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    // Nothing a client sends makes these fail: an internal failure is provoked to see its answer.
    jest.spyOn(HealthCheckService.prototype, 'check').mockRejectedValueOnce(new Error('provoked'));
    expect((await api.request({ method: 'GET', url: '/health/live' })).statusCode).toBe(500);
    jest.spyOn(MetricsService.prototype, 'render').mockRejectedValueOnce(new Error('provoked'));
    expect((await api.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(500);
    // Last: a shutdown under way makes readiness answer 503 (this app is closed after).
    t.app.get(Lifecycle).beginShutdown();
    expect((await api.request({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
  });

  it('exercised every operation of the document: a success and a problem each, and every webhook event', () => {
    const missing: string[] = [];
    for (const { name, method, path } of api.operations()) {
      const seen = [...(api.exercised.get(name) ?? [])];
      if (!seen.some((s) => s < 300)) missing.push(`${name} (${method.toUpperCase()} ${path}): no success`);
      if (!seen.some((s) => s >= 400)) missing.push(`${name} (${method.toUpperCase()} ${path}): no problem`);
    }
    for (const type of Object.keys(api.doc.webhooks)) {
      if (!api.exercised.has(`webhook ${type}`)) missing.push(`webhook ${type}: never delivered`);
    }
    expect(missing).toEqual([]);
    expect(api.operations().length).toBeGreaterThan(20);
  });
});
