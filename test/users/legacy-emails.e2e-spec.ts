import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NormaliseEmails1795400000000 } from '../../src/database/migrations/1795400000000-NormaliseEmails';
import { createTestApp, TestApp } from '../helpers/app';
import { registerUser } from '../helpers/auth';
import { sql, UNLIMITED } from '../helpers/catalog';

/**
 * Accounts stored before e-mails were normalised (issue 14, finding 9) must not be locked out: the
 * NormaliseEmails migration rewrites their spelling where that is unambiguous, and a sign-in with a
 * spelling that registration would now refuse still finds the account it names.
 */
describe('e-mails stored before normalisation (e2e)', () => {
  let t: TestApp;
  const password = 'correct-horse-battery';
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
  });
  afterAll(async () => {
    await t.close();
  });

  const tag = () => randomBytes(3).toString('hex');
  const login = (email: string) =>
    t.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  /** Registers an account, then gives it `stored` as its e-mail behind the service's back. */
  async function legacyAccount(stored: string): Promise<string> {
    const placeholder = `legacy-${tag()}@example.com`;
    const user = await registerUser(t, { email: placeholder, password, name: 'Legacy' });
    await sql(t, 'UPDATE users SET email = $2 WHERE id = $1', [user.id, stored]);
    return user.id;
  }
  const emailOf = async (id: string) =>
    (await sql<{ email: string }>(t, 'SELECT email FROM users WHERE id = $1', [id]))[0].email;
  const migrate = async () => {
    const runner = t.app.get(DataSource).createQueryRunner();
    try {
      await new NormaliseEmails1795400000000().up(runner);
    } finally {
      await runner.release();
    }
  };

  it('an account with a look-alike spelling (stored before the rules) still signs in', async () => {
    const spoof = `\u0430da${tag()}@example.com`; // Cyrillic а: registration refuses it today
    await legacyAccount(spoof);
    expect((await login(spoof)).statusCode).toBe(200);
  });

  it('the migration rewrites a decomposed spelling, audits it, and the account signs in by either spelling', async () => {
    const composed = `jos\u00e9${tag()}@example.com`;
    const id = await legacyAccount(composed.normalize('NFD'));
    await migrate();
    expect(await emailOf(id)).toBe(composed);
    const audit = await sql<{ request_id: string; changes: { email: { from: string; to: string } } }>(
      t,
      `SELECT request_id, changes FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND action = 'user.updated'`,
      [id],
    );
    expect(audit).toEqual([
      {
        request_id: 'migration:NormaliseEmails1795400000000',
        changes: expect.objectContaining({ email: { from: composed.normalize('NFD'), to: composed } }),
      },
    ]);
    expect((await login(composed)).statusCode).toBe(200);
    expect((await login(composed.normalize('NFD'))).statusCode).toBe(200);
  });

  it('leaves both accounts as they are when their spellings would become one, and is idempotent', async () => {
    const composed = `ren\u00e9${tag()}@example.com`;
    const fullwidthLocal = `ｒｅｎé${composed.slice(4)}`;
    const first = await legacyAccount(composed.normalize('NFD'));
    const second = await legacyAccount(fullwidthLocal);
    await migrate();
    await migrate();
    expect(await emailOf(first)).toBe(composed.normalize('NFD'));
    expect(await emailOf(second)).toBe(fullwidthLocal);
    const audited = await sql<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM audit_log WHERE request_id LIKE 'migration:%' AND entity_id = ANY($1::text[])`,
      [[first, second]],
    );
    expect(audited[0].n).toBe(0);
  });
});
