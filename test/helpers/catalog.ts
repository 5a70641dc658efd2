import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import type { TestApp } from './app';
import type { SignedIn } from './auth';

export interface ProductBody {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  version: number;
}

export interface OrderBody {
  id: string;
  userId: string;
  status: 'confirmed' | 'cancelled';
  items: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  version: number;
}

/** Raw SQL on the app's own database (assertions on invariants). */
export async function sql<T = Record<string, unknown>>(
  t: TestApp,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await t.app.get(DataSource).query(text, params)) as T[];
}

/** `POST /v1/products` as `admin`; fails the test unless it answers 201. */
export async function createProduct(
  t: TestApp,
  admin: SignedIn,
  overrides: Partial<{ sku: string; name: string; priceCents: number; stock: number }> = {},
): Promise<ProductBody> {
  const payload = {
    sku: `SKU-${randomBytes(5).toString('hex')}`,
    name: 'Widget',
    priceCents: 1250,
    stock: 10,
    ...overrides,
  };
  const res = await t.inject({ method: 'POST', url: '/v1/products', headers: admin.auth, payload });
  if (res.statusCode !== 201) throw new Error(`create product answered ${res.statusCode}: ${res.body}`);
  return res.json<ProductBody>();
}

export function placeOrder(
  t: TestApp,
  user: SignedIn,
  items: Array<{ productId: string; quantity: number }>,
  idempotencyKey?: string,
): Promise<LightMyRequestResponse> {
  return t.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...user.auth, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
    payload: { items },
  });
}

export function cancelOrder(
  t: TestApp,
  user: SignedIn,
  orderId: string,
  idempotencyKey?: string,
): Promise<LightMyRequestResponse> {
  return t.inject({
    method: 'POST',
    url: `/v1/orders/${orderId}/cancel`,
    headers: { ...user.auth, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
  });
}

export async function stockOf(t: TestApp, productId: string): Promise<number> {
  const [row] = await sql<{ stock: number }>(t, 'SELECT stock FROM products WHERE id = $1', [productId]);
  if (!row) throw new Error(`no product ${productId}`);
  return row.stock;
}

/** Config for races: the per-user limits out of the way (one spec proves the order limit itself). */
export const UNLIMITED = {
  orderRateLimitPerMinute: 10_000_000,
  rateLimitPerMinute: 10_000_000,
  loginRateLimitPerMinute: 100_000,
};

/**
 * Runs `count` calls of `task`, all issued at once but at most `inFlight` outstanding — a client with
 * `inFlight` connections. Answers come back in call order.
 */
export async function burst<T>(
  count: number,
  inFlight: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return results;
}

/** The value of an unlabelled-by-us counter on `GET /metrics` (its default labels ignored). */
export async function metricValue(t: TestApp, name: string): Promise<number> {
  const res = await t.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} on /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
