import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { signedInAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { createProduct, sql, stockOf, UNLIMITED } from '../helpers/catalog';
import { OpenApiContract, OpenApiDocument } from '../helpers/openapi-contract';
import { sendJson } from '../helpers/bodies';

type Schema = { properties?: Record<string, Schema>; $ref?: string };

const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__proto__',
  '__defineGetter__',
  '__lookupGetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
];

/**
 * Issue 14, findings 5 and 9: `null` is no value for any field (400, never a 500 from a NOT NULL
 * column); prototype property names are unknown properties like any other; order items must be
 * objects; a product change that changes nothing changes nothing.
 */
describe('null, prototype names, item shapes and empty changes (e2e)', () => {
  let t: TestApp;
  let api: OpenApiContract;
  let admin: SignedIn;
  let user: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    user = await signedInUser(t);
    api = new OpenApiContract(
      (await t.inject({ method: 'GET', url: '/docs/openapi.json' })).json<OpenApiDocument>(),
      t,
    );
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every property of every request body, with a concrete URL for its operation. */
  function bodyFields(id: string): Array<{ op: string; method: string; url: string; field: string }> {
    const schemas = api.doc.components.schemas as Record<string, Schema>;
    const resolve = (s: Schema): Schema => (s.$ref ? schemas[s.$ref.split('/').pop() ?? ''] : s);
    return api.operations().flatMap(({ name, method, path, op }) => {
      const body = op.requestBody?.content['application/json']?.schema as Schema | undefined;
      return Object.keys(body ? (resolve(body).properties ?? {}) : {}).map((field) => ({
        op: name,
        method: method.toUpperCase(),
        url: path.replace(/\{[^}]+\}/g, id),
        field,
      }));
    });
  }

  it('null in any field of any body → 400 VALIDATION_FAILED for that field (the findings: name, role, disabled)', async () => {
    const victim = await signedInUser(t);
    const product = await createProduct(t, admin);
    const ids: Record<string, string> = { updateUser: victim.id, updateProduct: product.id };
    const fields = bodyFields('ID');
    expect(fields.map((f) => `${f.op}.${f.field}`)).toEqual(
      expect.arrayContaining([
        'updateMe.name',
        'updateUser.role',
        'updateUser.disabled',
        'updateProduct.stock',
        'createOrder.items',
      ]),
    );
    for (const { op, method, url, field } of fields) {
      const res = await api.request({
        method,
        url: url.replace('ID', ids[op] ?? randomUUID()),
        headers: op === 'updateMe' ? user.auth : admin.auth,
        payload: { [field]: null },
      });
      expect({ op, field, status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({
        op,
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toContain(field);
    }
    const [row] = await sql<{ role: string; disabled: boolean }>(
      t,
      'SELECT role, disabled FROM users WHERE id = $1',
      [victim.id],
    );
    expect(row).toEqual({ role: 'user', disabled: false });
  });

  it('null inside an order item → 400, stock unchanged', async () => {
    const product = await createProduct(t, admin, { stock: 5 });
    for (const item of [
      { productId: null, quantity: 1 },
      { productId: product.id, quantity: null },
    ]) {
      const res = await api.request({
        method: 'POST',
        url: '/v1/orders',
        headers: user.auth,
        payload: { items: [item] },
      });
      expect(res.statusCode).toBe(400);
    }
    expect(await stockOf(t, product.id)).toBe(5);
  });

  it.each(PROTOTYPE_NAMES)('%s is an unknown property like any other: 400 naming it', async (name) => {
    for (const [url, body, headers] of [
      ['/v1/auth/login', '{"email":"ada@example.com","password":"whatever-it-is"', {}],
      ['/v1/auth/register', '{"email":"ada@example.com","password":"long-enough-pw","name":"Ada"', {}],
      ['/v1/orders', `{"items":[{"productId":"${randomUUID()}","quantity":1}]`, user.auth],
    ] as Array<[string, string, Record<string, string>]>) {
      const res = await sendJson(t, { method: 'POST', url, headers, text: `${body},"${name}":{}}` });
      expect({ url, status: res.statusCode, body: res.json() }).toMatchObject({
        url,
        status: 400,
        body: {
          code: 'VALIDATION_FAILED',
          errors: [{ field: name, message: `property ${name} should not exist` }],
        },
      });
    }
  });

  it('a prototype name inside an order item is refused too', async () => {
    const res = await sendJson(t, {
      method: 'POST',
      url: '/v1/orders',
      headers: user.auth,
      text: `{"items":[{"productId":"${randomUUID()}","quantity":1,"constructor":{"prototype":{"x":1}}}]}`,
    });
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'items.0.constructor', message: 'property constructor should not exist' }],
    });
  });

  it('{"items":[[]]} and other non-object items → 400 VALIDATION_FAILED, not 422 UNKNOWN_PRODUCT', async () => {
    for (const items of [[[]], [null], [1], ['x'], [true], [[{ productId: randomUUID(), quantity: 1 }]]]) {
      const res = await api.request({
        method: 'POST',
        url: '/v1/orders',
        headers: user.auth,
        payload: { items },
      });
      expect({ items, status: res.statusCode, body: res.json() }).toMatchObject({
        items,
        status: 400,
        body: {
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'items.0', message: 'each value in items must be a JSON object' }],
        },
      });
    }
  });

  describe('a product change that changes nothing', () => {
    const auditCount = async (id: string) =>
      (await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM audit_log WHERE entity_id = $1', [id]))[0]
        .n;

    it('{} or no body: 200 with the product as it is, same version and ETag, no audit entry', async () => {
      const product = await createProduct(t, admin);
      const audited = await auditCount(product.id);
      for (const payload of [{}, undefined]) {
        const res = await api.request({
          method: 'PATCH',
          url: `/v1/products/${product.id}`,
          headers: admin.auth,
          ...(payload === undefined ? {} : { payload }),
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ version: product.version, name: product.name });
        expect(res.headers.etag).toBe(`"${product.version}"`);
      }
      expect(await auditCount(product.id)).toBe(audited);
    });

    it('the values it already has: no new version, no audit entry; a real change still moves both', async () => {
      const product = await createProduct(t, admin, { name: 'Same', stock: 4 });
      const audited = await auditCount(product.id);
      const same = await api.request({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: admin.auth,
        payload: { name: 'Same', stock: 4, priceCents: product.priceCents },
      });
      expect(same.json()).toMatchObject({ version: product.version });
      expect(await auditCount(product.id)).toBe(audited);
      const changed = await api.request({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: admin.auth,
        payload: { name: 'Same', stock: 5 },
      });
      expect(changed.json()).toMatchObject({ version: product.version + 1, stock: 5 });
      expect(await auditCount(product.id)).toBe(audited + 1);
      const [entry] = await sql<{ changes: unknown }>(
        t,
        'SELECT changes FROM audit_log WHERE entity_id = $1 ORDER BY at DESC LIMIT 1',
        [product.id],
      );
      expect(entry.changes).toEqual({ stock: { from: 4, to: 5 } });
    });

    it('a null body is refused (400), and a stale If-Match is still 412 on an empty change', async () => {
      const product = await createProduct(t, admin);
      const nullBody = await sendJson(t, {
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: admin.auth,
        text: 'null',
      });
      expect(nullBody.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'body', message: 'the body must be a JSON object' }],
      });
      const stale = await api.request({
        method: 'PATCH',
        url: `/v1/products/${product.id}`,
        headers: { ...admin.auth, 'if-match': `"${product.version + 7}"` },
        payload: {},
      });
      expect(stale.statusCode).toBe(412);
      const missing = await api.request({
        method: 'PATCH',
        url: `/v1/products/${randomUUID()}`,
        headers: admin.auth,
        payload: {},
      });
      expect(missing.statusCode).toBe(404);
    });
  });
});
