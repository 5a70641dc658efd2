import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { createProduct, sql, UNLIMITED } from '../helpers/catalog';

describe('products (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let user: SignedIn;
  beforeAll(async () => {
    t = await createTestApp(UNLIMITED);
    admin = await signedInAdmin(t);
    user = await signedInUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('admin creates a product: 201, Location, ETag, audited; SKU taken → 409', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/products',
      headers: admin.auth,
      payload: { sku: 'CAT-1', name: 'Cat', priceCents: 999, stock: 3 },
    });
    expect(res.statusCode).toBe(201);
    const product = res.json();
    expect(product).toEqual({
      id: expect.any(String),
      sku: 'CAT-1',
      name: 'Cat',
      priceCents: 999,
      stock: 3,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/v1/products/${product.id}`);
    expect(res.headers.etag).toBe('"1"');
    const audit = await sql(
      t,
      "SELECT actor_id, entity_id FROM audit_log WHERE action = 'product.created' AND entity_id = $1",
      [product.id],
    );
    expect(audit).toEqual([{ actor_id: admin.id, entity_id: product.id }]);

    const again = await t.inject({
      method: 'POST',
      url: '/v1/products',
      headers: admin.auth,
      payload: { sku: 'CAT-1', name: 'Other', priceCents: 1, stock: 1 },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('SKU_TAKEN');
  });

  it('only admins change the catalogue; everyone signed in reads it; anonymous → 401', async () => {
    const p = await createProduct(t, admin);
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/v1/products',
          headers: user.auth,
          payload: { sku: 'X-1', name: 'x', priceCents: 1, stock: 1 },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.inject({
          method: 'PATCH',
          url: `/v1/products/${p.id}`,
          headers: user.auth,
          payload: { stock: 1 },
        })
      ).statusCode,
    ).toBe(403);
    const read = await t.inject({ method: 'GET', url: `/v1/products/${p.id}`, headers: user.auth });
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toBe(`"${p.version}"`);
    expect(read.json()).toMatchObject({ id: p.id, sku: p.sku });
    expect((await t.inject({ method: 'GET', url: `/v1/products/${p.id}` })).statusCode).toBe(401);
  });

  it('unknown or malformed ids → 404; invalid bodies → 400 VALIDATION_FAILED', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await t.inject({ method: 'GET', url: `/v1/products/${id}`, headers: user.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
    const patchMissing = await t.inject({
      method: 'PATCH',
      url: '/v1/products/00000000-0000-4000-8000-000000000000',
      headers: { ...admin.auth, 'if-match': '"1"' },
      payload: { stock: 1 },
    });
    expect(patchMissing.statusCode).toBe(404);
    for (const payload of [
      { sku: 'N-1', name: 'n', priceCents: -1, stock: 1 },
      { sku: 'N-2', name: 'n', priceCents: 1, stock: -1 },
      { sku: 'N-3', name: 'n', priceCents: 1.5, stock: 1 },
      { sku: 'N-4', name: 'n', priceCents: 1, stock: 1, version: 9 },
    ]) {
      const res = await t.inject({ method: 'POST', url: '/v1/products', headers: admin.auth, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('PATCH: without If-Match applied; with the current version applied; with a stale one 412; version and ETag grow', async () => {
    const p = await createProduct(t, admin, { stock: 5, priceCents: 100 });
    const blind = await t.inject({
      method: 'PATCH',
      url: `/v1/products/${p.id}`,
      headers: admin.auth,
      payload: { name: 'Renamed' },
    });
    expect(blind.statusCode).toBe(200);
    expect(blind.json()).toMatchObject({ name: 'Renamed', version: 2 });
    expect(blind.headers.etag).toBe('"2"');

    const current = await t.inject({
      method: 'PATCH',
      url: `/v1/products/${p.id}`,
      headers: { ...admin.auth, 'if-match': '"2"' },
      payload: { priceCents: 150, stock: 7 },
    });
    expect(current.statusCode).toBe(200);
    expect(current.json()).toMatchObject({ priceCents: 150, stock: 7, version: 3 });

    const stale = await t.inject({
      method: 'PATCH',
      url: `/v1/products/${p.id}`,
      headers: { ...admin.auth, 'if-match': '"2"' },
      payload: { stock: 0 },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('PRECONDITION_FAILED');
    expect((await sql(t, 'SELECT stock, version FROM products WHERE id = $1', [p.id]))[0]).toEqual({
      stock: 7,
      version: 3,
    });

    const audit = await sql<{ changes: Record<string, unknown> }>(
      t,
      "SELECT changes FROM audit_log WHERE action = 'product.updated' AND entity_id = $1 ORDER BY at",
      [p.id],
    );
    expect(audit.map((a) => a.changes)).toEqual([
      { name: { from: 'Widget', to: 'Renamed' } },
      { priceCents: { from: 100, to: 150 }, stock: { from: 5, to: 7 } },
    ]);
  });

  it('optimistic concurrency: two PATCHes with the same If-Match → exactly one 200 and one 412', async () => {
    const p = await createProduct(t, admin);
    const [a, b] = await Promise.all(
      [1, 2].map((n) =>
        t.inject({
          method: 'PATCH',
          url: `/v1/products/${p.id}`,
          headers: { ...admin.auth, 'if-match': `"${p.version}"` },
          payload: { stock: n },
        }),
      ),
    );
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 412]);
    const [row] = await sql<{ version: number }>(t, 'SELECT version FROM products WHERE id = $1', [p.id]);
    expect(row?.version).toBe(p.version + 1);
  });

  it('stock >= 0 is enforced by the database itself (CHECK constraint backstop)', async () => {
    const p = await createProduct(t, admin, { stock: 1 });
    await expect(sql(t, 'UPDATE products SET stock = stock - 2 WHERE id = $1', [p.id])).rejects.toMatchObject(
      { code: '23514' },
    );
    expect((await sql(t, 'SELECT stock FROM products WHERE id = $1', [p.id]))[0]).toEqual({ stock: 1 });
  });

  it('lists newest first with a cursor, every product exactly once', async () => {
    const made = [];
    for (let i = 0; i < 5; i += 1) made.push(await createProduct(t, admin));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.inject({
        method: 'GET',
        url: `/v1/products?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: user.auth,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ data: Array<{ id: string }>; nextCursor: string | null }>();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const newestFirst = made.map((p) => p.id).reverse();
    expect(seen.slice(0, 5)).toEqual(newestFirst);
    expect(
      (await t.inject({ method: 'GET', url: '/v1/products?limit=0', headers: user.auth })).statusCode,
    ).toBe(400);
  });
});
