import { createTestApp } from '../helpers/app';
import { registerUser, signedInUser } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

describe('rate limits (e2e, contract defaults for login)', () => {
  let t: ScannedApp;
  beforeAll(async () => {
    // LOGIN_RATE_LIMIT_PER_MINUTE at its default (5); a small general limit to prove it too.
    t = scanResponses(await createTestApp({ rateLimitPerMinute: 30 }));
    expect(t.config.loginRateLimitPerMinute).toBe(5);
  });
  afterAll(async () => {
    await t.close();
  });

  const tryLogin = (email: string, password: string, ip = '127.0.0.1') =>
    t.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress: ip });

  it('the 6th login try in a minute for one (e-mail, address) → 429 RATE_LIMITED with Retry-After; even with the right password', async () => {
    const u = await registerUser(t);
    for (let i = 0; i < 5; i += 1)
      expect((await tryLogin(u.email, 'wrong-password-here')).statusCode).toBe(401);
    const sixth = await tryLogin(u.email, u.password);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sixth.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The e-mail is compared lower-cased.
    expect((await tryLogin(u.email.toUpperCase(), u.password)).statusCode).toBe(429);
  });

  it('counts per (e-mail, address) pair: another e-mail, or another address, is not limited', async () => {
    const u = await registerUser(t);
    const other = await registerUser(t);
    for (let i = 0; i < 5; i += 1) await tryLogin(u.email, 'wrong-password-here', '10.0.0.1');
    expect((await tryLogin(u.email, u.password, '10.0.0.1')).statusCode).toBe(429);
    expect((await tryLogin(u.email, u.password, '10.0.0.2')).statusCode).toBe(200);
    expect((await tryLogin(other.email, other.password, '10.0.0.1')).statusCode).toBe(200);
  });

  it('the login limit applies to the login route only', async () => {
    const u = await signedInUser(t);
    for (let i = 0; i < 8; i += 1) {
      expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: u.auth })).statusCode).toBe(200);
    }
  });

  it('RATE_LIMIT_PER_MINUTE counts per signed-in user across routes, and per address when anonymous', async () => {
    const a = await signedInUser(t);
    const b = await signedInUser(t);
    let limited;
    for (let i = 0; i < 40 && !limited; i += 1) {
      const res = await t.inject(
        i % 2
          ? { method: 'GET', url: '/v1/users/me', headers: a.auth }
          : { method: 'PATCH', url: '/v1/users/me', headers: a.auth, payload: {} },
      );
      if (res.statusCode === 429) limited = res;
    }
    expect(limited?.json().code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: b.auth })).statusCode).toBe(200);

    let anonymousLimited = false;
    for (let i = 0; i < 40 && !anonymousLimited; i += 1) {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/refresh',
        payload: { refreshToken: 'nope' },
        remoteAddress: '10.9.9.9',
      });
      anonymousLimited = res.statusCode === 429;
    }
    expect(anonymousLimited).toBe(true);
    const elsewhere = await t.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: 'nope' },
      remoteAddress: '10.9.9.10',
    });
    expect(elsewhere.statusCode).toBe(401);
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
