import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A steady stream of orders with Idempotency-Keys against a running service, every answer recorded,
 * and the checks that must hold afterwards whatever happened in between (docs/failure-behaviour.md):
 * every acknowledged order is in the database, stock moved exactly by the orders there, and every
 * key, retried, resolves to exactly one order.
 */

/** How long one request may wait for its answer before the spec calls it unanswered. */
const CLIENT_GIVES_UP_MS = 30_000;

export interface Shop {
  baseUrl: string;
  /** Straight to the database (not through the service). */
  sql: Client;
  admin: Record<string, string>;
  shopper: Record<string, string>;
  shopperId: string;
  productIds: string[];
  initialStock: number;
}

export interface OrderAnswer {
  key: string;
  body: { items: Array<{ productId: string; quantity: number }> };
  /** 0: no answer within CLIENT_GIVES_UP_MS (or the connection failed). */
  status: number;
  code?: string;
  retryAfter: string | null;
  id?: string;
  /** performance.now() when the request was sent and when its answer was complete. */
  sentAt: number;
  answeredAt: number;
}

async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(CLIENT_GIVES_UP_MS),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: res.headers,
  };
}

/**
 * Setup through the API as a client would do it on a busy machine: a 503 (the service's database
 * budget ran out) is retried after its Retry-After. The conflict a retried create may meet (the first
 * try committed after all) is resolved by reading the row.
 */
async function untilServed(
  send: () => ReturnType<typeof call>,
): Promise<Awaited<ReturnType<typeof call>> & { retried: boolean }> {
  for (let attempt = 1; ; attempt += 1) {
    const res = await send();
    if (res.status !== 503 || attempt >= 10) return { ...res, retried: attempt > 1 };
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
  }
}

async function signIn(
  baseUrl: string,
  sql: Client,
  role: 'admin' | 'user',
): Promise<[Record<string, string>, string]> {
  const email = `${role}-${randomBytes(5).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const reg = await untilServed(() =>
    call(baseUrl, 'POST', '/v1/auth/register', { email, password, name: role }),
  );
  if (reg.status !== 201 && !(reg.retried && reg.status === 409))
    throw new Error(`register answered ${reg.status}`);
  const { rows } = await sql.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  if (role === 'admin') await sql.query(`UPDATE users SET role = 'admin' WHERE email = $1`, [email]);
  const login = await untilServed(() => call(baseUrl, 'POST', '/v1/auth/login', { email, password }));
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  return [{ authorization: `Bearer ${login.json.accessToken as string}` }, rows[0]?.id as string];
}

/** An admin, a shopper and `products` products with `stock` each. */
export async function openShop(
  baseUrl: string,
  databaseUrl: string,
  products = 3,
  stock = 1_000_000,
): Promise<Shop> {
  const sql = new Client({ connectionString: databaseUrl });
  sql.on('error', () => undefined);
  await sql.connect();
  const [admin] = await signIn(baseUrl, sql, 'admin');
  const [shopper, shopperId] = await signIn(baseUrl, sql, 'user');
  const productIds: string[] = [];
  for (let i = 0; i < products; i += 1) {
    const sku = `FRZ-${randomBytes(4).toString('hex')}`;
    const res = await untilServed(() =>
      call(baseUrl, 'POST', '/v1/products', { sku, name: `P${i}`, priceCents: 100, stock }, admin),
    );
    if (res.status !== 201 && !(res.retried && res.status === 409))
      throw new Error(`create product answered ${res.status}`);
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM products WHERE sku = $1', [sku]);
    productIds.push(rows[0]?.id as string);
  }
  return { baseUrl, sql, admin, shopper, shopperId, productIds, initialStock: stock };
}

/** `POST` as the admin until served (a 503 is retried): for setup steps such as a subscription. */
export async function adminPost(shop: Shop, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await untilServed(() => call(shop.baseUrl, 'POST', path, body, shop.admin));
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}`);
  return res.json;
}

/** Order n: one or two items, quantities 1–3, spread over the products. */
function bodyOf(shop: Shop, n: number): OrderAnswer['body'] {
  const p = shop.productIds;
  const items = [{ productId: p[n % p.length] as string, quantity: 1 + (n % 3) }];
  if (n % 2 === 1) items.push({ productId: p[(n + 1) % p.length] as string, quantity: 1 });
  return { items };
}

async function placeOrder(shop: Shop, key: string, body: OrderAnswer['body']): Promise<OrderAnswer> {
  const sentAt = performance.now();
  try {
    const res = await call(shop.baseUrl, 'POST', '/v1/orders', body, {
      ...shop.shopper,
      'idempotency-key': key,
    });
    return {
      key,
      body,
      status: res.status,
      code: res.json.code as string | undefined,
      retryAfter: res.headers.get('retry-after'),
      id: res.status === 201 ? (res.json.id as string) : undefined,
      sentAt,
      answeredAt: performance.now(),
    };
  } catch {
    return { key, body, status: 0, retryAfter: null, sentAt, answeredAt: performance.now() };
  }
}

export interface OrderStream {
  answers: OrderAnswer[];
  stop(): Promise<OrderAnswer[]>;
}

/** `lanes` clients, each placing an order with a fresh key, then pausing `pauseMs`, until stopped. */
export function startOrderStream(shop: Shop, lanes = 4, pauseMs = 50): OrderStream {
  const answers: OrderAnswer[] = [];
  let running = true;
  let n = 0;
  const workers = Array.from({ length: lanes }, async () => {
    while (running) {
      n += 1;
      const key = `stream-${n}`;
      answers.push(await placeOrder(shop, key, bodyOf(shop, n)));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return answers;
    },
  };
}

export interface Probe {
  sentAt: number;
  answeredAt: number;
  status: number;
}

/** `GET /health/ready` one after another (with `pauseMs` between) until stopped. */
export function watchReadiness(baseUrl: string, pauseMs = 100): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let running = true;
  const worker = (async () => {
    while (running) {
      const sentAt = performance.now();
      const status = await call(baseUrl, 'GET', '/health/ready').then(
        (r) => r.status,
        () => 0,
      );
      probes.push({ sentAt, answeredAt: performance.now(), status });
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await worker;
      return probes;
    },
  };
}

export interface Settled {
  key: string;
  status: number;
  id?: string;
  replayed: boolean;
  attempts: number;
}

/**
 * Retries every key with its own body, as a client would after a 503: 503 and 409
 * IDEMPOTENCY_IN_PROGRESS are waited out (Retry-After), anything else is the key's final answer.
 */
export async function settleEveryKey(
  shop: Shop,
  answers: OrderAnswer[],
  maxAttempts = 20,
): Promise<Settled[]> {
  const settled: Settled[] = [];
  for (const first of answers) {
    for (let attempt = 1; ; attempt += 1) {
      const res = await call(shop.baseUrl, 'POST', '/v1/orders', first.body, {
        ...shop.shopper,
        'idempotency-key': first.key,
      }).catch(() => undefined);
      const transient =
        res === undefined || res.status === 503 || res.json.code === 'IDEMPOTENCY_IN_PROGRESS';
      if (!transient || attempt >= maxAttempts) {
        settled.push({
          key: first.key,
          status: res?.status ?? 0,
          id: res?.status === 201 ? (res.json.id as string) : undefined,
          replayed: res?.headers.get('idempotent-replayed') === 'true',
          attempts: attempt,
        });
        break;
      }
      await new Promise((r) => setTimeout(r, Number(res?.headers.get('retry-after') ?? 1) * 1000));
    }
  }
  return settled;
}

/** The shopper's orders in the database and, per product, whether stock + ordered = initial. */
export async function databaseFacts(shop: Shop): Promise<{ orderIds: string[]; stockMatches: boolean }> {
  const orders = await shop.sql.query<{ id: string }>('SELECT id FROM orders WHERE user_id = $1', [
    shop.shopperId,
  ]);
  const stock = await shop.sql.query<{ matches: boolean }>(
    `SELECT bool_and(p.stock + COALESCE((SELECT sum(i.quantity) FROM order_items i JOIN orders o ON o.id = i.order_id
                                          WHERE i.product_id = p.id AND o.status = 'confirmed'), 0) = $2) AS matches
       FROM products p WHERE p.id = ANY($1)`,
    [shop.productIds, shop.initialStock],
  );
  return { orderIds: orders.rows.map((r) => r.id), stockMatches: stock.rows[0]?.matches === true };
}
