import { DataSource } from 'typeorm';
import { createTestApp } from '../helpers/app';
import { registerUser, signedInAdmin, signedInUser, SignedIn, uniqueEmail } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

describe('users: register, /me, admin routes, mass assignment, pagination (e2e)', () => {
  let t: ScannedApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000 }));
    admin = await signedInAdmin(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const roleOf = async (id: string) =>
    (
      (await t.app.get(DataSource).query('SELECT role FROM users WHERE id = $1', [id])) as Array<{
        role: string;
      }>
    )[0]?.role;

  it('registers with 201 and the user shape, e-mail lower-cased, role user', async () => {
    const email = uniqueEmail('Mixed.Case').replace('mixed', 'MiXeD');
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: `  ${email.toUpperCase()}`.trim(), password: 'long-enough-password', name: 'Ada' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      name: 'Ada',
      role: 'user',
      disabled: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('e-mails are unique whatever their case → 409 EMAIL_TAKEN', async () => {
    const u = await registerUser(t);
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: u.email.toUpperCase(), password: 'another-password', name: 'Dup' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_TAKEN');
  });

  it('validates register: e-mail, password 10–128 chars, name; unknown properties → 400 VALIDATION_FAILED', async () => {
    const bad = [
      { email: 'not-an-email', password: 'long-enough-password', name: 'x' },
      { email: uniqueEmail(), password: 'short', name: 'x' },
      { email: uniqueEmail(), password: 'x'.repeat(129), name: 'x' },
      { email: uniqueEmail(), password: 'long-enough-password' },
      { email: uniqueEmail(), password: 'long-enough-password', name: 'x', nickname: 'y' },
    ];
    for (const payload of bad) {
      const res = await t.inject({ method: 'POST', url: '/v1/auth/register', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: expect.any(Array) });
    }
    const ok = await t.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: uniqueEmail(), password: 'x'.repeat(128), name: 'x' },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('mass assignment: {"role":"admin"} or "disabled" in register → 400 and no user is created', async () => {
    for (const extra of [
      { role: 'admin' },
      { disabled: false },
      { id: '00000000-0000-4000-8000-000000000000' },
    ]) {
      const email = uniqueEmail();
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/register',
        payload: { email, password: 'long-enough-password', name: 'M', ...extra },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      const rows = (await t.app
        .get(DataSource)
        .query('SELECT id FROM users WHERE email = $1', [email])) as unknown[];
      expect(rows).toHaveLength(0);
    }
  });

  it('mass assignment: {"role":"admin"} or "disabled" in PATCH /me → 400 and nothing changes', async () => {
    const u = await signedInUser(t);
    for (const payload of [
      { role: 'admin' },
      { name: 'New', role: 'admin' },
      { disabled: true },
      { email: 'x@example.test' },
    ]) {
      const res = await t.inject({ method: 'PATCH', url: '/v1/users/me', headers: u.auth, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(await roleOf(u.id)).toBe('user');
    const me = await t.inject({ method: 'GET', url: '/v1/users/me', headers: u.auth });
    expect(me.json()).toMatchObject({ role: 'user', disabled: false, name: u.name, email: u.email });
  });

  it('PATCH /me changes the name', async () => {
    const u = await signedInUser(t);
    const res = await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: u.auth,
      payload: { name: 'Grace' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.id, name: 'Grace' });
    expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: u.auth })).json().name).toBe(
      'Grace',
    );
  });

  it('admin PATCH /v1/users/:id sets name, role and disabled; unknown properties → 400', async () => {
    const u = await signedInUser(t);
    const promote = await t.inject({
      method: 'PATCH',
      url: `/v1/users/${u.id}`,
      headers: admin.auth,
      payload: { role: 'admin', name: 'Promoted' },
    });
    expect(promote.statusCode).toBe(200);
    expect(promote.json()).toMatchObject({ id: u.id, role: 'admin', name: 'Promoted' });
    // The role is read from the database on every request: the same token is now an admin's.
    expect((await t.inject({ method: 'GET', url: '/v1/users', headers: u.auth })).statusCode).toBe(200);
    for (const payload of [
      { role: 'root' },
      { disabled: 'yes' },
      { email: 'x@example.test' },
      { password: 'long-enough-password' },
    ]) {
      const res = await t.inject({ method: 'PATCH', url: `/v1/users/${u.id}`, headers: admin.auth, payload });
      expect(res.statusCode).toBe(400);
    }
    expect(
      (
        await t.inject({
          method: 'PATCH',
          url: '/v1/users/00000000-0000-4000-8000-000000000000',
          headers: admin.auth,
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('GET /v1/users?email= finds one user, case-insensitively', async () => {
    const u = await registerUser(t);
    const res = await t.inject({
      method: 'GET',
      url: `/v1/users?email=${encodeURIComponent(u.email.toUpperCase())}`,
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      data: [expect.objectContaining({ id: u.id, email: u.email })],
      nextCursor: null,
    });
  });

  it('GET /v1/users is cursor-paginated, newest first, every user exactly once', async () => {
    for (let i = 0; i < 4; i += 1) await registerUser(t);
    const total = (
      (await t.app.get(DataSource).query('SELECT count(*)::int AS n FROM users')) as Array<{ n: number }>
    )[0].n;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/users?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.inject({ method: 'GET', url, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ data: Array<{ id: string; createdAt: string }>; nextCursor: string | null }>();
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((d) => d.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=%%%',
      'cursor=bm90LWEtY3Vyc29y',
      'unknown=1',
    ]) {
      const res = await t.inject({ method: 'GET', url: `/v1/users?${q}`, headers: admin.auth });
      expect(res.statusCode).toBe(400);
    }
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
