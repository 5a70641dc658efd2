import { createTestApp, TestApp } from '../helpers/app';
import { SignedIn, signedInAdmin, signedInUser } from '../helpers/auth';
import { createProduct, placeOrder, stockOf, UNLIMITED } from '../helpers/catalog';

/** Inputs that are valid in form but unusual: they must give the right answer, never a 500. */
describe('order input edges (e2e)', () => {
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

  it('accepts a product id in upper case and prices it from the catalogue', async () => {
    const p = await createProduct(t, admin, { stock: 5, priceCents: 250 });
    const res = await placeOrder(t, user, [{ productId: p.id.toUpperCase(), quantity: 2 }]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      totalCents: 500,
      items: [{ productId: p.id, quantity: 2, unitPriceCents: 250 }],
    });
    expect(await stockOf(t, p.id)).toBe(3);
  });

  it('treats the same product id in two cases as a duplicate: 400, nothing changes', async () => {
    const p = await createProduct(t, admin, { stock: 5 });
    const res = await placeOrder(t, user, [
      { productId: p.id, quantity: 1 },
      { productId: p.id.toUpperCase(), quantity: 1 },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await stockOf(t, p.id)).toBe(5);
  });

  it('answers a forged list cursor with 400, not a database error', async () => {
    for (const position of [
      '99999999999999999999.00000000-0000-0000-0000-000000000000',
      '1.not-a-uuid',
      'garbage',
    ]) {
      const cursor = Buffer.from(position, 'utf8').toString('base64url');
      const res = await t.inject({ method: 'GET', url: `/v1/orders?cursor=${cursor}`, headers: user.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'cursor' }] });
    }
  });
});
