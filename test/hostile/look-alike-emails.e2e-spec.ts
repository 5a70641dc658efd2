import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { registerUser, signedInAdmin, SignedIn } from '../helpers/auth';
import { sql, UNLIMITED } from '../helpers/catalog';

/**
 * Issue 14, finding 9: look-alike spellings of an e-mail registered as separate accounts. E-mails are
 * normalised (NFKC, lower case) before they are checked, stored or looked up, so compatibility and
 * decomposed spellings are the same address; spellings that only look alike (letters of another
 * script, invisible characters) are refused, at registration, login and the admin's lookup alike.
 */
describe('look-alike e-mails (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  const password = 'correct-horse-battery';
  let local: string;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    local = `ada${randomBytes(3).toString('hex')}`;
    await registerUser(t, { email: `${local}@example.com`, password, name: 'Ada' });
  });
  afterAll(async () => {
    await t.close();
  });

  const toFullwidth = (text: string) =>
    [...text]
      .map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
      .join('');
  const register = (email: string) =>
    t.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name: 'Twin' } });
  const login = (email: string) =>
    t.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  const accounts = async () =>
    (
      await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM users WHERE email LIKE $1', [`%${local}%`])
    )[0].n;

  it('compatibility spellings are the same address: fullwidth and upper case register as taken, log in', async () => {
    for (const spelling of [
      toFullwidth(`${local}@example.com`),
      `${local.toUpperCase()}@EXAMPLE.COM`,
      ` ${local}@example.com `,
    ]) {
      expect({ spelling, status: (await register(spelling)).statusCode }).toEqual({ spelling, status: 409 });
      const res = await login(spelling);
      expect({ spelling, status: res.statusCode }).toEqual({ spelling, status: 200 });
    }
    expect(await accounts()).toBe(1);
  });

  it('decomposed (NFD) and composed spellings of an accented address are one account', async () => {
    const composed = `jos\u00e9${randomBytes(3).toString('hex')}@example.com`;
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const created = await register(decomposed);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ email: composed });
    expect((await register(composed)).statusCode).toBe(409);
    expect((await login(composed)).statusCode).toBe(200);
  });

  it.each([
    ['a Cyrillic а in the local part', (l: string) => `\u0430${l.slice(1)}@example.com`],
    ['a Greek ο in the domain', (l: string) => `${l}@example.c\u03bfm`],
    ['a Cyrillic е in the domain, in Punycode', (l: string) => `${l}@xn--xample-2of.com`],
    ['a zero-width space', (l: string) => `${l.slice(0, 2)}\u200b${l.slice(2)}@example.com`],
    ['a soft hyphen', (l: string) => `${l}\u00ad@example.com`],
    ['a zero-width joiner in the domain', (l: string) => `${l}@exam\u200dple.com`],
    ['a right-to-left override', (l: string) => `\u202e${l}@example.com`],
  ])('refuses %s at registration; login and the admin lookup find no account', async (_name, spell) => {
    const spoof = spell(local);
    const registered = await register(spoof);
    expect({ spoof, status: registered.statusCode, body: registered.json() }).toMatchObject({
      spoof,
      status: 400,
      body: { code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] },
    });
    // A lookup is not refused: the spelling matches no account, the same answer as any unknown e-mail.
    const signIn = await login(spoof);
    expect({ status: signIn.statusCode, code: signIn.json<{ code: string }>().code }).toEqual({
      status: 401,
      code: 'INVALID_CREDENTIALS',
    });
    const lookup = await t.inject({
      method: 'GET',
      url: `/v1/users?email=${encodeURIComponent(spoof)}`,
      headers: admin.auth,
    });
    expect(lookup.statusCode).toBe(200);
    expect(lookup.json<{ data: unknown[] }>().data).toEqual([]);
    expect(await accounts()).toBe(1);
  });

  it('the admin lookup finds the account by any compatibility spelling', async () => {
    const res = await t.inject({
      method: 'GET',
      url: `/v1/users?email=${encodeURIComponent(toFullwidth(`${local}@EXAMPLE.com`))}`,
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ data: Array<{ email: string }> }>().data.map((u) => u.email)).toEqual([
      `${local}@example.com`,
    ]);
  });

  it('addresses in one script other than Latin are still welcome', async () => {
    const cyrillic = [...randomBytes(6)].map((b) => String.fromCodePoint(0x430 + (b % 32))).join('');
    const res = await register(`иван${cyrillic}@пример.рф`);
    expect(res.statusCode).toBe(201);
  });
});
