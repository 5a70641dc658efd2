'use strict';
/**
 * The bench's reference: bare Fastify + pg, no framework, serving the bench's routes with exactly the
 * statements Bulwark issues for them (the probe phase of `npm run bench` records both servers' SQL
 * through bench/lib/pg-proxy.js and compares it route by route). Auth is the same HS256 JWT check
 * followed by the same session+user query; order creation runs the same transaction with the same
 * idempotency lock, savepoint and record, stock decrement, order insert and audit row.
 *
 * Environment: PORT, DATABASE_URL, JWT_SECRET, DB_POOL_MAX (default 10, Bulwark's default).
 */
const { createHash, createSecretKey, randomUUID } = require('node:crypto');
const Fastify = require('fastify');
const jwt = require('jsonwebtoken');
const { Pool } = require('pg');

const env = process.env;
// A KeyObject, as Bulwark's guard uses: a string makes jsonwebtoken try (and fail) a PEM parse per call.
const secret = createSecretKey(Buffer.from(env.JWT_SECRET || '', 'utf8'));
const pool = new Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DB_POOL_MAX || 10),
  connectionTimeoutMillis: 800,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
  statement_timeout: 5000,
  lock_timeout: 2000,
  idle_in_transaction_session_timeout: 10_000,
});
pool.on('error', () => undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json';

// --- The same SQL text as Bulwark (src/sessions/sessions.repository.ts, src/products, src/orders, src/idempotency, src/audit).
const SQL = {
  caller: `SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND NOT u.disabled`,
  product: 'SELECT id, sku, name, price_cents, stock, version, created_at, updated_at FROM products WHERE id = $1',
  findKey: 'SELECT fingerprint, status_code, body, headers FROM idempotency_keys WHERE user_id = $1 AND key = $2',
  lockKey: "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0)) AS locked",
  reserve: `WITH wanted AS (
         SELECT * FROM unnest($1::uuid[], $2::int[]) AS w (product_id, quantity)
       ), locked AS MATERIALIZED (
         SELECT p.id FROM products p JOIN wanted w ON w.product_id = p.id
          WHERE p.stock >= w.quantity
          ORDER BY p.id FOR UPDATE OF p
       ), reserved AS (
         UPDATE products p
            SET stock = p.stock - w.quantity, version = p.version + 1, updated_at = now()
           FROM wanted w
          WHERE p.id = w.product_id AND p.stock >= w.quantity AND p.id IN (SELECT id FROM locked)
        RETURNING p.id, p.price_cents
       )
       SELECT w.product_id AS id, r.price_cents,
              r.id IS NOT NULL OR EXISTS (SELECT 1 FROM products k WHERE k.id = w.product_id) AS known
         FROM wanted w LEFT JOIN reserved r ON r.id = w.product_id`,
  insertOrder: `WITH o AS (
         INSERT INTO orders (id, user_id, status, total_cents) VALUES ($1, $2, 'confirmed', $3)
         RETURNING id, user_id, status, total_cents, version, created_at, updated_at
       ), items AS (
         INSERT INTO order_items (order_id, product_id, position, quantity, unit_price_cents)
         SELECT $1, i.product_id, i.position - 1, i.quantity, i.unit_price_cents
           FROM unnest($4::uuid[], $5::int[], $6::int[]) WITH ORDINALITY AS i (product_id, quantity, unit_price_cents, position)
       )
       SELECT * FROM o`,
  outbox: `WITH event AS (
         INSERT INTO outbox_events (type, aggregate_id, payload, trace_parent) VALUES ($1, $2, $3, $4) RETURNING id, created_at
       ), fanout AS (
         INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
         SELECT event.id, s.id, event.created_at, event.created_at
         FROM event, webhook_subscriptions s
         WHERE s.deleted_at IS NULL AND s.events @> ARRAY[$1]::text[]
       )
       SELECT id FROM event`,
  audit: 'INSERT INTO audit_log (actor_id, action, entity, entity_id, request_id, changes) VALUES ($1, $2, $3, $4, $5, $6)',
  storeKey: 'INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, body, headers) VALUES ($1, $2, $3, $4, $5, $6)',
  order: `SELECT o.id, o.user_id, o.status, o.total_cents, o.version, o.created_at, o.updated_at, COALESCE((
  SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) ORDER BY i.position)
    FROM order_items i WHERE i.order_id = o.id), '[]'::json) AS items
         FROM orders o WHERE o.id = $1 AND ($2::uuid IS NULL OR o.user_id = $2::uuid)`,
};

class HttpError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

/** The same check as Bulwark's guard: HS256 only, exp and iat present, then the session+user query. */
async function authenticate(request) {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new HttpError(401, 'UNAUTHENTICATED', 'A valid access token is required.');
  let claims;
  try {
    claims = jwt.verify(header.slice(7), secret, { algorithms: ['HS256'] });
  } catch {
    throw new HttpError(401, 'UNAUTHENTICATED', 'A valid access token is required.');
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || !UUID.test(claims.sub ?? '') || !UUID.test(claims.sid ?? '')) {
    throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is not valid.');
  }
  const { rows } = await pool.query(SQL.caller, [claims.sid, claims.sub]);
  if (!rows[0]) throw new HttpError(401, 'UNAUTHENTICATED', 'The access token is no longer valid.');
  return { id: claims.sub, role: rows[0].role, sessionId: claims.sid };
}

const iso = (d) => d.toISOString();
const productView = (r) => ({ id: r.id, sku: r.sku, name: r.name, priceCents: r.price_cents, stock: r.stock, version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });
const orderView = (r, items) => ({ id: r.id, userId: r.user_id, status: r.status, items, totalCents: Number(r.total_cents), version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });

/** Bulwark's fingerprint (src/idempotency/fingerprint.ts). */
function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}
const fingerprint = (method, route, path, body) => createHash('sha256').update(`${method}\n${route}\n${path}\n${canonicalJson(body ?? null)}`).digest('hex');

function validItems(body) {
  const items = body && body.items;
  if (!Array.isArray(items) || items.length < 1 || items.length > 50) return undefined;
  const seen = new Set();
  for (const i of items) {
    if (!i || typeof i.productId !== 'string' || !UUID.test(i.productId) || !Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > 1000) return undefined;
    if (seen.has(i.productId)) return undefined;
    seen.add(i.productId);
  }
  return items;
}

const app = Fastify({ bodyLimit: 100 * 1024, genReqId: () => randomUUID() });

app.addHook('onRequest', (request, reply, done) => {
  reply.header('x-request-id', request.id);
  done();
});

app.setErrorHandler((error, request, reply) => {
  const status = error instanceof HttpError ? error.status : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
  reply
    .code(status)
    .type(PROBLEM_TYPE)
    .send({ type: 'about:blank', title: error.code ?? 'error', status, detail: status >= 500 ? 'internal error' : error.message, code: error.code ?? 'INTERNAL', requestId: request.id });
});

app.get('/health/ready', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

app.get('/v1/products/:id', async (request, reply) => {
  await authenticate(request);
  const id = request.params.id;
  const rows = UUID.test(id) ? (await pool.query(SQL.product, [id])).rows : [];
  if (!rows[0]) throw new HttpError(404, 'NOT_FOUND', 'No product has this id.');
  reply.header('ETag', `"${rows[0].version}"`);
  return productView(rows[0]);
});

app.get('/v1/orders/:id', async (request) => {
  const user = await authenticate(request);
  const id = request.params.id;
  const rows = UUID.test(id) ? (await pool.query(SQL.order, [id, user.role === 'admin' ? null : user.id])).rows : [];
  if (!rows[0]) throw new HttpError(404, 'NOT_FOUND', 'No order has this id.');
  return orderView(rows[0], rows[0].items);
});

app.post('/v1/orders', async (request, reply) => {
  const user = await authenticate(request);
  const items = validItems(request.body);
  if (!items) throw new HttpError(400, 'VALIDATION_FAILED', 'The request is not valid.');
  const key = request.headers['idempotency-key'];
  const print = key === undefined ? undefined : fingerprint('POST', '/v1/orders', '/v1/orders', request.body);
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) throw new HttpError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be one value of 1 to 255 characters');
    const stored = (await pool.query(SQL.findKey, [user.id, key])).rows[0];
    if (stored) return replay(reply, stored, print);
  }
  const byProduct = [...items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    await client.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    if (key !== undefined) {
      if (!(await client.query(SQL.lockKey, [user.id, key])).rows[0].locked) throw new HttpError(409, 'IDEMPOTENCY_IN_PROGRESS', 'in progress');
      const stored = (await client.query(SQL.findKey, [user.id, key])).rows[0];
      if (stored) {
        await client.query('ROLLBACK');
        return replay(reply, stored, print);
      }
      await client.query('SAVEPOINT idempotency_work');
    }
    const reserved = await client.query(SQL.reserve, [byProduct.map((i) => i.productId), byProduct.map((i) => i.quantity)]);
    const prices = new Map(reserved.rows.filter((r) => r.price_cents !== null).map((r) => [r.id, r.price_cents]));
    if (reserved.rows.some((r) => !r.known)) throw new HttpError(422, 'UNKNOWN_PRODUCT', 'No product has this id.');
    if (prices.size < items.length) throw new HttpError(409, 'INSUFFICIENT_STOCK', 'Not enough stock for every item; nothing was ordered.');
    const lines = items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPriceCents: prices.get(i.productId) }));
    const total = lines.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
    const id = randomUUID();
    const row = (
      await client.query(SQL.insertOrder, [id, user.id, total, lines.map((i) => i.productId), lines.map((i) => i.quantity), lines.map((i) => i.unitPriceCents)])
    ).rows[0];
    const view = orderView(row, lines);
    await client.query(SQL.audit, [user.id, 'order.created', 'order', view.id, request.id, JSON.stringify({ status: view.status, totalCents: view.totalCents, items: view.items })]);
    await client.query(SQL.outbox, ['order.created', view.id, JSON.stringify(view), null]);
    const location = `/v1/orders/${view.id}`;
    if (key !== undefined) {
      await client.query(SQL.storeKey, [user.id, key, print, 201, JSON.stringify(view), JSON.stringify({ 'content-type': JSON_TYPE, location })]);
    }
    await client.query('COMMIT');
    reply.code(201).header('Location', location);
    return view;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

function replay(reply, stored, print) {
  if (stored.fingerprint !== print) throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
  for (const [name, value] of Object.entries(stored.headers)) reply.header(name, value);
  reply.code(stored.status_code).header('Idempotent-Replayed', 'true');
  return reply.send(stored.body);
}

const shutdown = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

app.listen({ port: Number(env.PORT || 3001), host: '127.0.0.1' }).catch((error) => {
  process.stderr.write(`baseline: ${error.stack}\n`);
  process.exit(1);
});
