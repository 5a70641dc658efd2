import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from './helpers/app';
import { securityHeaders } from '../src/common/http/early-errors';
import { adminQuery } from './helpers/database';
import { signedInUser, uniqueEmail } from './helpers/auth';

const PROBLEM = /^application\/problem\+json/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\bat .*\.(js|ts):\d+|SELECT |INSERT |UPDATE |QueryFailedError|stack/);
  return body;
}

describe('errors, request ids and logging (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ loginRateLimitPerMinute: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.inject({ method: 'GET', url: '/v1/nowhere/at/all' });
    const body = expectProblem(res, 404, 'NOT_FOUND');
    expect(JSON.stringify(body)).not.toContain('/v1/nowhere');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@b.c",',
    });
    expectProblem(res, 400, 'MALFORMED_JSON');
  });

  it('checks authentication before the body: malformed JSON without a token is 401', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('answers invalid fields with 400 VALIDATION_FAILED and one entry per field', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'not-an-email', password: 'short', name: 'N' },
    });
    const body = expectProblem(res, 400, 'VALIDATION_FAILED') as {
      errors: Array<{ field: string; message: string }>;
    };
    const fields = body.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
    for (const e of body.errors) expect(e.message).toEqual(expect.any(String));
  });

  it('rejects unknown properties instead of ignoring them', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: uniqueEmail(), password: 'long enough password', name: 'N', isVip: true },
    });
    const body = expectProblem(res, 400, 'VALIDATION_FAILED') as { errors: Array<{ field: string }> };
    expect(body.errors.map((e) => e.field)).toContain('isVip');
  });

  it('answers a body over 100 KiB with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(20), name: 'y'.repeat(110 * 1024) }),
    });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('accepts a body just under the limit as far as the size goes', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'a@b.c', password: 'x'.repeat(20), name: 'y'.repeat(90 * 1024) },
    });
    expect(res.statusCode).toBe(400); // name too long for the DTO: a validation answer, not 413
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    const kept = await t.inject({
      method: 'GET',
      url: '/v1/nowhere',
      headers: { 'x-request-id': 'trace-abc_123.x' },
    });
    expect(kept.headers['x-request-id']).toBe('trace-abc_123.x');
    expect(kept.json()).toMatchObject({ requestId: 'trace-abc_123.x' });
    const replaced = await t.inject({
      method: 'GET',
      url: '/v1/nowhere',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    const generated = await t.inject({ method: 'GET', url: '/v1/nowhere' });
    expect(generated.headers['x-request-id']).toMatch(UUID);
    expect(generated.headers['x-request-id']).not.toBe(replaced.headers['x-request-id']);
  });

  it('writes one access-log line per request with route template, status, duration and ids', async () => {
    const user = await signedInUser(t);
    await t.inject({
      method: 'GET',
      url: '/v1/users/me',
      headers: { ...user.auth, 'x-request-id': 'log-line-check' },
    });
    const lines = t.logs.filter((l) => l.requestId === 'log-line-check' && l.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      method: 'GET',
      route: '/v1/users/me',
      status: 200,
      durationMs: expect.any(Number),
      userId: user.id,
      app_version: t.config.appVersion,
      color: t.config.releaseColor,
    });
  });

  it('never writes passwords, tokens or the Authorization header to the log', async () => {
    const password = 'Very-Secret-Password-42';
    const email = uniqueEmail();
    await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password, name: 'Logged' },
    });
    const login = await t.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
    const { accessToken, refreshToken } = login.json<{ accessToken: string; refreshToken: string }>();
    await t.inject({
      method: 'GET',
      url: '/v1/users/me',
      headers: { authorization: `Bearer ${accessToken}`, cookie: 'sid=cookie-secret-9' },
    });
    await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password: 'Wrong-Password-77' },
    });
    const text = t.logText();
    for (const secret of [password, 'Wrong-Password-77', accessToken, refreshToken, 'cookie-secret-9']) {
      expect(text).not.toContain(secret);
    }
  });

  it('turns an unexpected failure into a bare 500 and logs it with the request id', async () => {
    const user = await signedInUser(t);
    const ds = t.app.get(DataSource);
    await ds.query('ALTER TABLE audit_log RENAME TO audit_log_hidden');
    try {
      const res = await t.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        headers: { ...user.auth, 'x-request-id': 'boom-500' },
        payload: { name: 'New name' },
      });
      const body = expectProblem(res, 500, 'INTERNAL_ERROR');
      expect(JSON.stringify(body)).not.toContain('audit_log');
      const logged = t.logs.find((l) => l.requestId === 'boom-500' && l.msg === 'unexpected error');
      expect(logged).toBeDefined();
    } finally {
      await ds.query('ALTER TABLE audit_log_hidden RENAME TO audit_log');
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE fast when the database refuses connections, and recovers by itself', async () => {
    const user = await signedInUser(t);
    await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS false`);
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [t.db.name],
    );
    try {
      const started = Date.now();
      const res = await t.inject({ method: 'GET', url: '/v1/users/me', headers: user.auth });
      const elapsed = Date.now() - started;
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBeDefined();
      expect(elapsed).toBeLessThan(5000); // bounded by the pool's connection timeout, not a hang
    } finally {
      await adminQuery(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS true`);
    }
    const again = await t.inject({ method: 'GET', url: '/v1/users/me', headers: user.auth });
    expect(again.statusCode).toBe(200);
  });

  it('survives pg_terminate_backend on its pooled connections', async () => {
    const user = await signedInUser(t);
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [t.db.name],
    );
    // The first request may meet a connection killed under it (503); the process survives and the
    // pool replaces the dead connections.
    const first = await t.inject({ method: 'GET', url: '/v1/users/me', headers: user.auth });
    expect([200, 503]).toContain(first.statusCode);
    const next = await t.inject({ method: 'GET', url: '/v1/users/me', headers: user.auth });
    expect(next.statusCode).toBe(200);
  });

  it('sets helmet security headers and no X-Powered-By', async () => {
    const res = await t.inject({ method: 'GET', url: '/v1/nowhere' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    // Exactly helmet's own set, computed once (src/app.factory.ts), on an answer from a real route too.
    const me = await t.inject({ method: 'GET', url: '/health/live' });
    for (const [name, value] of Object.entries(securityHeaders()))
      expect({ name, value: me.headers[name.toLowerCase()] }).toEqual({ name, value });
  });
});

describe('CORS (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ corsOrigins: ['https://app.example'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('allows only the listed origins', async () => {
    const allowed = await t.inject({
      method: 'OPTIONS',
      url: '/v1/users/me',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const refused = await t.inject({
      method: 'OPTIONS',
      url: '/v1/users/me',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});
