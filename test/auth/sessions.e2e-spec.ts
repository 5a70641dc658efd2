import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp } from '../helpers/app';
import { bearer, login, signedInUser } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

describe('logins: rotating refresh tokens, reuse detection, logout, password change (e2e)', () => {
  let t: ScannedApp;
  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000 }));
  });
  afterAll(async () => {
    await t.close();
  });

  const refresh = (refreshToken: string) =>
    t.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  const me = (accessToken: string) =>
    t.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(accessToken) });
  const db = () => t.app.get(DataSource);

  it('answers login with a Bearer pair and stores the refresh token only as its SHA-256', async () => {
    const u = await signedInUser(t);
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: u.email.toUpperCase(), password: u.password },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: t.config.accessTokenTtl,
    });
    const { refreshToken } = res.json<{ refreshToken: string }>();
    expect(Buffer.from(refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);
    const digest = createHash('sha256').update(refreshToken).digest();
    const rows = (await db().query('SELECT token_hash FROM refresh_tokens WHERE token_hash = $1', [
      digest,
    ])) as unknown[];
    expect(rows).toHaveLength(1);
    const columns = (await db().query(
      `SELECT string_agg(t::text, ' ') AS dump FROM refresh_tokens t`,
    )) as Array<{ dump: string }>;
    expect(columns[0].dump).not.toContain(refreshToken);
  });

  it('rotates: R1 → R2; R1 again → 401 REFRESH_TOKEN_REUSED and the whole login ends (R2 and its access tokens)', async () => {
    const u = await signedInUser(t);
    const first = await refresh(u.refreshToken);
    expect(first.statusCode).toBe(200);
    const r2 = first.json<{ accessToken: string; refreshToken: string }>();
    expect(r2.refreshToken).not.toBe(u.refreshToken);
    expect((await me(r2.accessToken)).statusCode).toBe(200);

    const reuse = await refresh(u.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED', status: 401 });

    const afterReuse = await refresh(r2.refreshToken);
    expect(afterReuse.statusCode).toBe(401);
    expect(afterReuse.json().code).toBe('UNAUTHENTICATED');
    expect((await me(r2.accessToken)).statusCode).toBe(401);
    expect((await me(u.accessToken)).statusCode).toBe(401);
    // Presenting the spent token again still says so.
    expect((await refresh(u.refreshToken)).json().code).toBe('REFRESH_TOKEN_REUSED');
  });

  it('is race-safe: two concurrent refreshes with the same token, exactly one wins', async () => {
    const u = await signedInUser(t);
    const answers = await Promise.all([
      refresh(u.refreshToken),
      refresh(u.refreshToken),
      refresh(u.refreshToken),
    ]);
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 401, 401]);
    const spent = (await db().query(
      `SELECT count(*)::int AS n FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE s.user_id = $1 AND rt.used_at IS NOT NULL`,
      [u.id],
    )) as Array<{ n: number }>;
    expect(spent[0].n).toBe(1);
  });

  it('refuses an unknown and an expired refresh token with 401 UNAUTHENTICATED', async () => {
    expect((await refresh('no-such-token')).json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const u = await signedInUser(t);
    const digest = createHash('sha256').update(u.refreshToken).digest();
    await db().query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [digest],
    );
    expect((await refresh(u.refreshToken)).json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('logout ends that login at once (refresh and access tokens) while the other login goes on', async () => {
    const u = await signedInUser(t);
    const second = await login(t, u.email, u.password);
    const out = await t.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: u.auth,
      payload: { refreshToken: u.refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expect((await me(u.accessToken)).statusCode).toBe(401);
    expect((await refresh(u.refreshToken)).statusCode).toBe(401);
    expect((await me(second.accessToken)).statusCode).toBe(200);
    expect((await refresh(second.refreshToken)).statusCode).toBe(200);
    // Logging out an already ended login (from another live one) is harmless.
    const again = await t.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: second.auth,
      payload: { refreshToken: u.refreshToken },
    });
    expect(again.statusCode).toBe(204);
  });

  it("logout needs an access token and cannot end another user's login", async () => {
    const a = await signedInUser(t);
    const b = await signedInUser(t);
    expect(
      (await t.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: b.refreshToken } }))
        .statusCode,
    ).toBe(401);
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: a.auth,
      payload: { refreshToken: b.refreshToken },
    });
    expect(res.statusCode).toBe(401);
    expect((await me(b.accessToken)).statusCode).toBe(200);
    expect((await refresh(b.refreshToken)).statusCode).toBe(200);
  });

  it('a password change needs the current password and ends every login of the user', async () => {
    const u = await signedInUser(t);
    const second = await login(t, u.email, u.password);
    const missing = await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: u.auth,
      payload: { password: 'a-brand-new-password' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('CURRENT_PASSWORD_INVALID');
    const wrong = await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: u.auth,
      payload: { password: 'a-brand-new-password', currentPassword: 'wrong-password' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().code).toBe('CURRENT_PASSWORD_INVALID');
    expect((await me(u.accessToken)).statusCode).toBe(200);

    const ok = await t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: u.auth,
      payload: { password: 'a-brand-new-password', currentPassword: u.password },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: u.id, email: u.email });
    for (const token of [u.accessToken, second.accessToken]) expect((await me(token)).statusCode).toBe(401);
    for (const token of [u.refreshToken, second.refreshToken])
      expect((await refresh(token)).statusCode).toBe(401);
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { email: u.email, password: u.password },
        })
      ).statusCode,
    ).toBe(401);
    expect((await login(t, u.email, 'a-brand-new-password')).accessToken).toEqual(expect.any(String));
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
