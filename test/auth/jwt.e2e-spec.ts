import { createHmac, generateKeyPairSync } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { createTestApp, TEST_JWT_SECRET } from '../helpers/app';
import { bearer, signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT assembled by hand, so any header (even `alg: none`) can be produced. */
function handMade(header: object, payload: object, key: string | null): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  if (key === null) return `${unsigned}.`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

describe('access tokens: only valid HS256 tokens of live logins pass (e2e)', () => {
  let t: ScannedApp;
  let user: SignedIn;
  let claims: { sub: string; role: string; sid: string; iat: number; exp: number };
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000 }));
    user = await signedInUser(t);
    claims = jwt.decode(user.accessToken) as typeof claims;
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) => t.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(token) });

  async function expect401(token: string): Promise<void> {
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  }

  it('issues HS256 tokens with sub, role, sid, iat and exp, and accepts them', async () => {
    const header = JSON.parse(Buffer.from(user.accessToken.split('.')[0], 'base64url').toString()) as {
      alg: string;
    };
    expect(header.alg).toBe('HS256');
    expect(claims).toMatchObject({
      sub: user.id,
      role: 'user',
      sid: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(claims.exp - claims.iat).toBe(t.config.accessTokenTtl);
    expect((await me(user.accessToken)).statusCode).toBe(200);
  });

  it('refuses no token and a malformed Authorization header', async () => {
    expect((await t.inject({ method: 'GET', url: '/v1/users/me' })).statusCode).toBe(401);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: user.accessToken } }))
        .statusCode,
    ).toBe(401);
    expect(
      (
        await t.inject({
          method: 'GET',
          url: '/v1/users/me',
          headers: { authorization: 'Basic dXNlcjpwYXNz' },
        })
      ).statusCode,
    ).toBe(401);
    await expect401('not-a-jwt');
  });

  it('refuses a validly signed token whose crit header names an extension it does not understand (RFC 7515 §4.1.11)', async () => {
    // The same claims and key: only the header differs, and the plain one passes.
    expect((await me(handMade({ alg: 'HS256', typ: 'JWT' }, claims, TEST_JWT_SECRET))).statusCode).toBe(200);
    await expect401(
      handMade({ alg: 'HS256', typ: 'JWT', crit: ['urn:example:must-check'] }, claims, TEST_JWT_SECRET),
    );
    await expect401(
      jwt.sign(claims, TEST_JWT_SECRET, {
        algorithm: 'HS256',
        header: { alg: 'HS256', crit: ['b64'], b64: false } as jwt.JwtHeader,
      }),
    );
  });

  it('refuses alg: none', async () => {
    await expect401(handMade({ alg: 'none', typ: 'JWT' }, claims, null));
    await expect401(handMade({ alg: 'None', typ: 'JWT' }, claims, null));
  });

  it('refuses HS512 and HS384 even when signed with the right key', async () => {
    await expect401(jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS512' }));
    await expect401(jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS384' }));
  });

  it('refuses RS256 (and an RS256 header over an HMAC made with the secret)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expect401(jwt.sign(claims, privateKey, { algorithm: 'RS256' }));
    await expect401(handMade({ alg: 'RS256', typ: 'JWT' }, claims, TEST_JWT_SECRET));
  });

  it('refuses a token signed by another key', async () => {
    await expect401(jwt.sign(claims, 'another-secret-another-secret-another-secret', { algorithm: 'HS256' }));
  });

  it('refuses an expired token', async () => {
    await expect401(
      jwt.sign({ ...claims, iat: now() - 120, exp: now() - 60 }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
    );
  });

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...withoutExp } = claims;
    await expect401(jwt.sign(withoutExp, TEST_JWT_SECRET, { algorithm: 'HS256' }));
  });

  it('refuses a tampered payload (role raised to admin, signature kept)', async () => {
    const [header, , signature] = user.accessToken.split('.');
    await expect401(`${header}.${b64({ ...claims, role: 'admin' })}.${signature}`);
    await expect401(
      `${header}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`,
    );
  });

  it('never trusts the role claim: a validly signed token claiming admin still gets 403 on admin routes', async () => {
    const forged = jwt.sign({ ...claims, role: 'admin' }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    expect((await me(forged)).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: '/v1/users', headers: bearer(forged) })).statusCode).toBe(
      403,
    );
  });

  it('refuses validly signed tokens whose sid or sub are not a live login of that user', async () => {
    const other = await signedInUser(t);
    const otherClaims = jwt.decode(other.accessToken) as typeof claims;
    const sign = (c: object) => jwt.sign(c, TEST_JWT_SECRET, { algorithm: 'HS256' });
    await expect401(sign({ ...claims, sid: otherClaims.sid })); // someone else's login
    await expect401(sign({ ...claims, sid: '00000000-0000-4000-8000-000000000000' }));
    await expect401(sign({ ...claims, sid: 'not-a-uuid' }));
    await expect401(sign({ ...claims, sub: 'not-a-uuid' }));
  });

  it('refuses a refresh token used as an access token', async () => {
    await expect401(user.refreshToken);
  });

  it("refuses a disabled user's token at once, and accepts it again only after a new login once re-enabled", async () => {
    const victim = await signedInUser(t);
    const admin = await signedInAdmin(t);
    expect((await me(victim.accessToken)).statusCode).toBe(200);
    const disable = await t.inject({
      method: 'PATCH',
      url: `/v1/users/${victim.id}`,
      headers: admin.auth,
      payload: { disabled: true },
    });
    expect(disable.statusCode).toBe(200);
    await expect401(victim.accessToken);
    const refresh = await t.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: victim.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
    const relogin = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: victim.email, password: victim.password },
    });
    expect(relogin.statusCode).toBe(401);
    expect(relogin.json().code).toBe('INVALID_CREDENTIALS');
    // Even the database-level flag alone (no session revocation) refuses the token.
    const other = await signedInUser(t);
    await t.app.get(DataSource).query('UPDATE users SET disabled = true WHERE id = $1', [other.id]);
    await expect401(other.accessToken);
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
