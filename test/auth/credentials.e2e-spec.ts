import { DataSource } from 'typeorm';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { createTestApp } from '../helpers/app';
import { registerUser, signedInAdmin, uniqueEmail } from '../helpers/auth';
import { scanResponses, ScannedApp } from '../helpers/secrets';

/** `$argon2id$v=19$m=19456,t=2,p=1$salt$hash` (parameters in any order). */
function argon2Params(hash: string): { variant: string; m: number; t: number; p: number } {
  const [, variant, , params] = hash.split('$');
  const values = Object.fromEntries(
    params
      .split(',')
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  return { variant, m: values.m, t: values.t, p: values.p };
}

describe('credentials: argon2id hashes, one answer for every failed login (e2e)', () => {
  let t: ScannedApp;
  beforeAll(async () => {
    t = scanResponses(await createTestApp({ loginRateLimitPerMinute: 1000 }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores argon2id hashes with m ≥ 19456 KiB, t ≥ 2, p ≥ 1 — never the password', async () => {
    const u = await registerUser(t);
    const rows = (await t.app
      .get(DataSource)
      .query('SELECT password_hash FROM users WHERE id = $1', [u.id])) as Array<{ password_hash: string }>;
    const hash = rows[0].password_hash;
    expect(hash).not.toContain(u.password);
    const params = argon2Params(hash);
    expect(params.variant).toBe('argon2id');
    expect(params.m).toBeGreaterThanOrEqual(19_456);
    expect(params.t).toBeGreaterThanOrEqual(2);
    expect(params.p).toBeGreaterThanOrEqual(1);
  });

  it('unknown e-mail, wrong password and a disabled account answer the same status, body and code', async () => {
    const u = await registerUser(t);
    const disabled = await registerUser(t);
    const admin = await signedInAdmin(t);
    await t.inject({
      method: 'PATCH',
      url: `/v1/users/${disabled.id}`,
      headers: admin.auth,
      payload: { disabled: true },
    });
    const attempts = [
      { email: uniqueEmail('nobody'), password: u.password },
      { email: u.email, password: `${u.password}-wrong` },
      { email: disabled.email, password: disabled.password },
    ];
    const answers = [];
    for (const payload of attempts) {
      const res = await t.inject({ method: 'POST', url: '/v1/auth/login', payload });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const { requestId: _requestId, ...rest } = res.json<Record<string, unknown>>();
      answers.push(rest);
    }
    expect(answers[0]).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('e-mails log in case-insensitively', async () => {
    const u = await registerUser(t);
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: u.email.toUpperCase(), password: u.password },
    });
    expect(res.statusCode).toBe(200);
  });

  it('a login whose user is disabled (or whose password changes) while its password is being checked gets no session', async () => {
    const u = await registerUser(t);
    const hasher = t.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    const spy = jest.spyOn(hasher, 'verify').mockImplementationOnce(async (hash, password) => {
      const ok = await verify(hash, password);
      await t.app.get(DataSource).query('UPDATE users SET disabled = true WHERE id = $1', [u.id]);
      return ok;
    });
    try {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: u.email, password: u.password },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('INVALID_CREDENTIALS');
    } finally {
      spy.mockRestore();
    }
    const sessions = (await t.app
      .get(DataSource)
      .query('SELECT id FROM sessions WHERE user_id = $1', [u.id])) as unknown[];
    expect(sessions).toHaveLength(0);
  });

  it('no response contained a password, hash or token hash', async () => {
    await t.assertNoSecretsLeaked();
  });
});
