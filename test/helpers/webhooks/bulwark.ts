import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_JWT_SECRET } from '../app';
import type { TestDatabase } from '../database';
import { HttpClient, PROMOTE_TO_ADMIN_SQL, signUp } from '../http-client';
import { ServiceProcess, startService } from '../service';
import { eventually } from './receiver';

/**
 * A real Bulwark process (the build in BULWARK_DIST_DIR) on a test database, driven over HTTP like a
 * client would: an admin, a shopper and a product to order.
 */
export const WEBHOOK_TEST_ENV = {
  JWT_SECRET: TEST_JWT_SECRET,
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  RATE_LIMIT_PER_MINUTE: '1000000',
  ORDER_RATE_LIMIT_PER_MINUTE: '1000000',
  LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  SHUTDOWN_DELAY_MS: '0',
  WEBHOOK_POLL_INTERVAL_MS: '50',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_BASE_DELAY_MS: '100',
  WEBHOOK_MAX_DELAY_MS: '2000',
  WEBHOOK_BREAKER_HALF_OPEN_MS: '300',
  LOG_LEVEL: 'info',
};

export function startBulwark(db: TestDatabase, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService({ env: { ...WEBHOOK_TEST_ENV, DATABASE_URL: db.url, ...env } });
}

export async function query<T = Record<string, unknown>>(
  db: TestDatabase,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** An admin or a shopper, registered and signed in through the API. */
async function signedIn(baseUrl: string, db: TestDatabase, role: 'user' | 'admin'): Promise<HttpClient> {
  const promote = (email: string) => query(db, PROMOTE_TO_ADMIN_SQL, [email]);
  return (await signUp(new HttpClient(baseUrl), { role, promote })).api;
}

export interface Shop {
  admin: HttpClient;
  shopper: HttpClient;
  productId: string;
}

/** An admin, a shopper and a product with plenty of stock. */
export async function openShop(service: ServiceProcess, db: TestDatabase): Promise<Shop> {
  const admin = await signedIn(service.url, db, 'admin');
  const shopper = await signedIn(service.url, db, 'user');
  const product = await admin.ok<{ id: string }>('POST', '/v1/products', {
    sku: `SKU-${randomBytes(5).toString('hex')}`,
    name: 'Widget',
    priceCents: 500,
    stock: 1_000_000,
  });
  return { admin, shopper, productId: product.id };
}

export function subscribe(
  admin: HttpClient,
  url: string,
  events = ['order.created', 'order.cancelled'],
): Promise<{ id: string; secret: string }> {
  return admin.ok<{ id: string; secret: string }>('POST', '/v1/webhooks', { url, events });
}

/** Places `count` orders, `concurrency` at a time, spread over `via` (one client per replica). */
export async function placeOrders(
  shop: Shop,
  count: number,
  concurrency = 10,
  via: HttpClient[] = [shop.shopper],
): Promise<string[]> {
  const ids: string[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (started < count) {
        started += 1;
        const order = await via[worker % via.length].ok<{ id: string }>('POST', '/v1/orders', {
          items: [{ productId: shop.productId, quantity: 1 }],
        });
        ids.push(order.id);
      }
    }),
  );
  return ids;
}

/** The outbox as the service wrote it. */
export function outboxEvents(
  db: TestDatabase,
): Promise<Array<{ id: string; type: string; aggregate_id: string }>> {
  return query(db, 'SELECT id, type, aggregate_id FROM outbox_events ORDER BY created_at');
}

export function deliveryStatuses(db: TestDatabase): Promise<Array<{ status: string; n: number }>> {
  return query(
    db,
    'SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status ORDER BY status',
  );
}

/**
 * Waits until every one of the `n` deliveries is recorded as delivered. A receiver sees a webhook
 * before the dispatcher records its answer, so "the receiver has them all" does not yet mean the
 * rows say so.
 */
export async function allDelivered(db: TestDatabase, n: number, timeoutMs = 10_000): Promise<void> {
  let last: unknown;
  await eventually(
    async () => {
      last = await deliveryStatuses(db);
      return JSON.stringify(last) === JSON.stringify([{ status: 'delivered', n }]);
    },
    timeoutMs,
    () => `(delivery rows: ${JSON.stringify(last)})`,
  );
}
