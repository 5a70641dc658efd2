import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser } from '../helpers/auth';

describe('auth smoke (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ loginRateLimitPerMinute: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers, logs in, reads /me, admin lists', async () => {
    const u = await signedInUser(t);
    const me = await t.inject({ method: 'GET', url: '/v1/users/me', headers: u.auth });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: u.id, email: u.email, role: 'user' });
    expect((await t.inject({ method: 'GET', url: '/v1/users/me' })).statusCode).toBe(401);
    expect((await t.inject({ method: 'GET', url: '/v1/users', headers: u.auth })).statusCode).toBe(403);
    const a = await signedInAdmin(t);
    const list = await t.inject({ method: 'GET', url: '/v1/users', headers: a.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.length).toBe(2);
    const audit = await t.inject({ method: 'GET', url: '/v1/audit', headers: a.auth });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().data.length).toBeGreaterThan(3);
  });
});
