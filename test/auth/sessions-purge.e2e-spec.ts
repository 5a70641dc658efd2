import { DataSource } from 'typeorm';
import { SessionsPurgeJob } from '../../src/sessions/sessions-purge.job';
import { createTestApp, TestApp } from '../helpers/app';
import { login, registerUser } from '../helpers/auth';

describe('purge of expired logins (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ loginRateLimitPerMinute: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('forgets refresh tokens expired over a day ago and the logins left without any, nothing else', async () => {
    const ds = t.app.get(DataSource);
    const user = await registerUser(t);
    const old = await login(t, user.email, user.password);
    const fresh = await login(t, user.email, user.password);
    const sessionOf = async (accessToken: string) =>
      JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')).sid as string;
    const oldSid = await sessionOf(old.accessToken);
    const freshSid = await sessionOf(fresh.accessToken);
    await ds.query(`UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE session_id = $1`, [
      oldSid,
    ]);
    await ds.query(`UPDATE sessions SET created_at = now() - interval '3 days' WHERE id = $1`, [oldSid]);
    // A token that expired only an hour ago is kept (reuse is still recognised for a day).
    await ds.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 hour' WHERE session_id = $1`, [
      freshSid,
    ]);

    const result = await t.app.get(SessionsPurgeJob).purge();
    expect(result).toEqual({ refreshTokens: 1, sessions: 1 });

    const sessions = (await ds.query('SELECT id FROM sessions WHERE user_id = $1', [user.id])) as Array<{
      id: string;
    }>;
    expect(sessions.map((s) => s.id)).toEqual([freshSid]);
    expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: old.auth })).statusCode).toBe(401);
    expect((await t.inject({ method: 'GET', url: '/v1/users/me', headers: fresh.auth })).statusCode).toBe(
      200,
    );
  });
});
