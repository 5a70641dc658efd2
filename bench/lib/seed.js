'use strict';
/** Databases and fixtures for the bench: users with live sessions (one JWT each), products, orders. */
const { randomBytes } = require('node:crypto');
const jwt = require('jsonwebtoken');
const { Client } = require('pg');

async function withClient(url, work) {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Seeds the (migrated) database at `url` straight in SQL, in the shape Bulwark's own code writes:
 * `users` with an argon2id hash of `password`, one live `sessions` row per user, `products` with
 * stock enough for any run, and `ordersPerUser` confirmed orders per user (with their item).
 * Answers the fixtures the load needs, with an access token per user signed with `jwtSecret` exactly
 * as Bulwark's TokenIssuer signs them (HS256, sub, role, sid, iat, exp).
 */
async function seed(url, { users, products, ordersPerUser, passwordHash, password, jwtSecret }) {
  return withClient(url, async (db) => {
    await db.query('BEGIN');
    const { rows: userRows } = await db.query(
      `INSERT INTO users (email, name, password_hash, role)
       SELECT 'bench-' || n || '@example.com', 'Bench user ' || n, $2, 'user' FROM generate_series(1, $1) AS n
       RETURNING id, email, role`,
      [users, passwordHash],
    );
    const { rows: sessionRows } = await db.query('INSERT INTO sessions (user_id) SELECT id FROM users WHERE id = ANY ($1::uuid[]) RETURNING id, user_id', [
      userRows.map((u) => u.id),
    ]);
    const { rows: productRows } = await db.query(
      `INSERT INTO products (sku, name, price_cents, stock)
       SELECT 'BENCH-' || n, 'Bench product ' || n, 100 + n, 1000000000 FROM generate_series(1, $1) AS n
       RETURNING id, price_cents`,
      [products],
    );
    const { rows: orderRows } = await db.query(
      `WITH o AS (
         INSERT INTO orders (user_id, status, total_cents)
         SELECT u.id, 'confirmed', 0 FROM unnest($1::uuid[]) AS u (id), generate_series(1, $2)
         RETURNING id, user_id
       ), p AS (
         SELECT id, price_cents, row_number() OVER (ORDER BY id) AS k, count(*) OVER () AS n FROM products
       ), i AS (
         INSERT INTO order_items (order_id, product_id, position, quantity, unit_price_cents)
         SELECT o.id, p.id, 0, 1, p.price_cents
           FROM (SELECT id, row_number() OVER () AS k FROM o) oo JOIN o ON o.id = oo.id
           JOIN p ON p.k = 1 + (oo.k % p.n)
       )
       SELECT id, user_id FROM o`,
      [userRows.map((u) => u.id), ordersPerUser],
    );
    await db.query(`UPDATE orders o SET total_cents = i.unit_price_cents FROM order_items i WHERE i.order_id = o.id`);
    await db.query('COMMIT');
    await db.query('ANALYZE');

    const sessionOf = new Map(sessionRows.map((s) => [s.user_id, s.id]));
    const ordersOf = new Map();
    for (const o of orderRows) ordersOf.set(o.user_id, [...(ordersOf.get(o.user_id) || []), o.id]);
    return {
      password,
      productIds: productRows.map((p) => p.id),
      users: userRows.map((u) => ({
        id: u.id,
        email: u.email,
        orderIds: ordersOf.get(u.id) || [],
        token: jwt.sign({ role: u.role, sid: sessionOf.get(u.id) }, jwtSecret, { algorithm: 'HS256', subject: u.id, expiresIn: 24 * 3600 }),
      })),
    };
  });
}

const newSecret = () => randomBytes(48).toString('base64url');

module.exports = { withClient, databaseUrl, seed, newSecret };
