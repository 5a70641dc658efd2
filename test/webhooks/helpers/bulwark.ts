import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_JWT_SECRET } from '../../helpers/app';
import type { TestDatabase } from '../../helpers/database';
import { ServiceProcess, startService } from '../../helpers/service';

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

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300)
      throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The same signed-in user against another process (replicas share the database). */
  on(baseUrl: string): Api {
    return new Api(baseUrl, this.token);
  }
}

async function signIn(baseUrl: string, db: TestDatabase, role: 'user' | 'admin'): Promise<Api> {
  const email = `${role}-${randomBytes(5).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const json = { 'content-type': 'application/json' };
  const reg = await fetch(`${baseUrl}/v1/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password, name: role }),
  });
  if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
  if (role === 'admin') await query(db, `UPDATE users SET role = 'admin' WHERE email = $1`, [email]);
  const login = await fetch(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  return new Api(baseUrl, ((await login.json()) as { accessToken: string }).accessToken);
}

export interface Shop {
  admin: Api;
  shopper: Api;
  productId: string;
}

/** An admin, a shopper and a product with plenty of stock. */
export async function openShop(service: ServiceProcess, db: TestDatabase): Promise<Shop> {
  const admin = await signIn(service.url, db, 'admin');
  const shopper = await signIn(service.url, db, 'user');
  const product = await admin.ok<{ id: string }>('POST', '/v1/products', {
    sku: `SKU-${randomBytes(5).toString('hex')}`,
    name: 'Widget',
    priceCents: 500,
    stock: 1_000_000,
  });
  return { admin, shopper, productId: product.id };
}

export function subscribe(
  admin: Api,
  url: string,
  events = ['order.created', 'order.cancelled'],
): Promise<{ id: string; secret: string }> {
  return admin.ok<{ id: string; secret: string }>('POST', '/v1/webhooks', { url, events });
}

/** Places `count` orders, `concurrency` at a time, spread over `via` (one Api per replica). */
export async function placeOrders(
  shop: Shop,
  count: number,
  concurrency = 10,
  via: Api[] = [shop.shopper],
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
