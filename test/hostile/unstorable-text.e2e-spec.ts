import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { sql, UNLIMITED } from '../helpers/catalog';
import { OpenApiContract, OpenApiDocument } from '../helpers/openapi-contract';
import { UsersRepository } from '../../src/users/users.repository';
import { sendJson } from '../helpers/bodies';

type Schema = {
  type?: string;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, Schema>;
  $ref?: string;
};

const NUL = '"a\\u0000b"';
const LONE_SURROGATE = '"a\\ud800b"';

/**
 * Issue 14, findings 3 and 4: text PostgreSQL cannot store (NUL) or that has no UTF-8 form (a lone
 * surrogate) is refused by validation with a field error, in every text field of every body and in
 * the query filters; and a value the database refuses all the same answers 400, never 500.
 */
describe('text the database cannot store (e2e)', () => {
  let t: TestApp;
  let api: OpenApiContract;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    api = new OpenApiContract(
      (await t.inject({ method: 'GET', url: '/docs/openapi.json' })).json<OpenApiDocument>(),
      t,
    );
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  /** Every string property of every request body, by operation. */
  function textFields(): Array<{ op: string; method: string; url: string; field: string; free: boolean }> {
    const schemas = api.doc.components.schemas as Record<string, Schema>;
    const resolve = (s: Schema): Schema => (s.$ref ? schemas[s.$ref.split('/').pop() ?? ''] : s);
    return api.operations().flatMap(({ name, method, path, op }) => {
      const body = op.requestBody?.content['application/json']?.schema as Schema | undefined;
      if (!body) return [];
      return Object.entries(resolve(body).properties ?? {})
        .filter(([, property]) => resolve(property).type === 'string')
        .map(([field, property]) => ({
          op: name,
          method,
          url: path.replace(/\{[^}]+\}/g, randomUUID()),
          field,
          // Free text, as opposed to one of a list or a uuid, whose own rule refuses such text anyway.
          free: !resolve(property).enum && !['uuid', 'date-time'].includes(resolve(property).format ?? ''),
        }));
    });
  }

  it.each([
    ['NUL', NUL, 'must not contain the NUL character (U+0000)'],
    ['a lone surrogate', LONE_SURROGATE, 'must be well-formed Unicode (no lone surrogate)'],
  ])('refuses %s in every text field of every body with a field error', async (_name, value, message) => {
    const fields = textFields();
    // register (3), login (2), refresh, logout, updateMe (3), updateUser (name), createProduct (2),
    // updateProduct (name), createWebhook (url).
    expect(fields.length).toBeGreaterThanOrEqual(15);
    for (const { op, method, url, field, free } of fields) {
      const res = await sendJson(t, { method, url, headers: admin.auth, text: `{"${field}":${value}}` });
      const problem = res.json<{ code: string; errors?: Array<{ field: string; message: string }> }>();
      expect({ op, field, status: res.statusCode, code: problem.code }).toEqual({
        op,
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect({ op, errors: problem.errors }).toEqual({
        op,
        errors: expect.arrayContaining([
          { field, message: free ? `${field} ${message}` : expect.any(String) },
        ]),
      });
    }
  });

  it('the anonymous login of the finding ("a\\ud800@x.test", "a\\u0000b"): 400, no audit entry, the next login audited', async () => {
    const before = await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM audit_log');
    for (const email of ['"a\\ud800@x.test"', '"a\\u0000b@x.test"']) {
      const res = await sendJson(t, {
        method: 'POST',
        url: '/v1/auth/login',
        text: `{"email":${email},"password":"whatever-it-is"}`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] });
    }
    expect(await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM audit_log')).toEqual(before);
    const wrong = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'nobody@example.com', password: 'whatever-it-is' },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM audit_log'))[0].n).toBe(
      before[0].n + 1,
    );
  });

  it('refuses NUL in the query filters (?email=, audit ?entity=, ?entityId=, ?action=, ?cursor=)', async () => {
    for (const url of [
      '/v1/users?email=a%00b',
      '/v1/audit?entity=a%00b',
      '/v1/audit?entityId=a%00b',
      '/v1/audit?action=order.%00created',
      '/v1/products?cursor=%00',
    ]) {
      const res = await api.request({ method: 'GET', url, headers: admin.auth });
      const field = /\?(\w+)=/.exec(url)?.[1];
      expect({ url, status: res.statusCode, body: res.json() }).toMatchObject({
        url,
        status: 400,
        body: { code: 'VALIDATION_FAILED', errors: [{ field }] },
      });
    }
  });

  it('answers query text that is not UTF-8 (%ED%A0%80 is a surrogate in CESU-8) without a 5xx', async () => {
    for (const url of ['/v1/users?email=%ED%A0%80', '/v1/users?email=%C0%80', '/v1/audit?entity=%FF']) {
      const res = await api.request({ method: 'GET', url, headers: admin.auth });
      // Undecodable text is kept as sent (no surrogate can come out of UTF-8 decoding): an e-mail
      // that matches nobody, or a field error; the contract checks the answer is a documented one.
      expect({ url, refusedOrAnswered: [200, 400].includes(res.statusCode) }).toEqual({
        url,
        refusedOrAnswered: true,
      });
    }
  });

  it('refuses date-times PostgreSQL cannot read (an ISO week date, an offset over 15:59) in validation', async () => {
    for (const query of ['from=2024-W01', 'to=9999-12-31T23:59:59.999-23:59', 'from=20240101']) {
      const res = await api.request({ method: 'GET', url: `/v1/audit?${query}`, headers: admin.auth });
      expect({ query, status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('last line of defence: a value the database refuses (SQLSTATE 22021) is a documented 400, logged, nothing written', async () => {
    const user = await signedInUser(t);
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      severity: 'ERROR',
    });
    // A gap in validation, simulated where the statement runs: the repository's update.
    jest.spyOn(t.app.get(UsersRepository), 'update').mockRejectedValueOnce(refused);
    const res = await api.request({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: { ...user.auth, 'x-request-id': 'refused-value-1' },
      payload: { name: 'Renamed' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'BAD_REQUEST',
      detail: 'A value in the request cannot be stored or compared by the database.',
    });
    expect(res.body).not.toContain('0x00');
    const warned = t.logs.filter((l) => l.requestId === 'refused-value-1' && l.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0].msg).toBe('the database refused a value of the request');
    const [row] = await sql<{ name: string }>(t, 'SELECT name FROM users WHERE id = $1', [user.id]);
    expect(row.name).toBe(user.name);
  });
});
