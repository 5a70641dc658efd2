import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { testConfig } from '../../src/config/config';
import { createTestApp, TEST_JWT_SECRET, TestApp } from '../helpers/app';
import { createAdmin, signedInUser, SignedIn } from '../helpers/auth';
import { createProduct, placeOrder, ProductBody, UNLIMITED } from '../helpers/catalog';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DumpablePostgres, dumpablePostgres } from '../helpers/dumpable-postgres';
import { ServiceProcess, startService } from '../helpers/service';

/**
 * The restore drill of docs/backup.md on the run's real PostgreSQL: 10,000 orders with their audit
 * entries and pending webhook deliveries, `npm run db:backup`, `npm run db:restore` into a fresh
 * database, Bulwark started on it finds every one of them through its API, and the stock adds up.
 * Prints how long the restore took (measured, never asserted).
 */
const ROOT = join(__dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'backup.md'), 'utf8');
/** The command lines of docs/backup.md's first ```bash block, run below exactly as printed. */
const [BACKUP, RESTORE] = /```bash\n([\s\S]*?)```/.exec(DOC)![1].trim().split('\n');
const ORDERS = 10_000;
/** Orders placed through the API; the rest are copies of their shape written in one transaction. */
const API_ORDERS = 5;
const INITIAL_STOCK = 1_000_000;

/**
 * A command line through a shell, in `cwd`: a folder inside the repository (npm finds the package
 * from there, and a relative file name is taken from there, as for a person in that folder).
 */
function sh(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** What must survive: every row that matters, as one digest per table (order-independent). */
async function fingerprint(url: string): Promise<Record<string, string>> {
  const tables: Record<string, string> = {
    orders: `SELECT id::text || status || total_cents || version AS r FROM orders`,
    order_items: `SELECT order_id::text || product_id || position || quantity || unit_price_cents AS r FROM order_items`,
    audit_log: `SELECT id::text || action || entity || coalesce(entity_id, '') || changes::text || at AS r FROM audit_log`,
    outbox_events: `SELECT id::text || type || aggregate_id || payload::text AS r FROM outbox_events`,
    pending: `SELECT id::text || event_id || subscription_id || attempts AS r FROM webhook_deliveries WHERE status = 'pending'`,
    products: `SELECT id::text || stock || version AS r FROM products`,
  };
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(tables)) {
    const [row] = await query<{ n: string; digest: string }>(
      url,
      `SELECT count(*) AS n, md5(coalesce(string_agg(r, ',' ORDER BY r), '')) AS digest FROM (${sql}) t`,
    );
    out[name] = `${row.n}:${row.digest}`;
  }
  return out;
}

/** Every item of a paginated list (`limit=100`, following `nextCursor`). */
async function listAll<T>(base: string, path: string, auth: Record<string, string>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await fetch(
      `${base}${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      {
        headers: auth,
      },
    );
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { data: T[]; nextCursor: string | null };
    items.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('backup and restore drill (docs/backup.md)', () => {
  let pg: DumpablePostgres;
  let source: TestApp;
  let restored: TestDatabase | undefined;
  let service: ServiceProcess | undefined;
  let admin: SignedIn;
  let products: ProductBody[];
  let subscriptionId: string;
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'backup-drill-'));
  const file = join(dir, 'bulwark.dump');

  beforeAll(async () => {
    pg = await dumpablePostgres();
    console.log(`restore drill on ${pg.origin}`);
    source = await createTestApp(
      {
        ...UNLIMITED,
        webhooksAllowPrivate: true,
        // The deliveries stay pending: the backup must carry work the service has not done yet.
        webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
      },
      (url) => url,
      await createTestDatabase('bulwark_drill', pg.adminUrl),
    );
    admin = await createAdmin(source);
    const user = await signedInUser(source);
    products = [
      await createProduct(source, admin, { priceCents: 1250, stock: INITIAL_STOCK }),
      await createProduct(source, admin, { priceCents: 399, stock: INITIAL_STOCK }),
    ];
    const hook = await source.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: admin.auth,
      payload: { url: 'http://127.0.0.1:9/hooks/bulwark', events: ['order.created'] },
    });
    expect(hook.statusCode).toBe(201);
    subscriptionId = hook.json<{ id: string }>().id;
    for (let i = 0; i < API_ORDERS; i += 1) {
      const res = await placeOrder(source, user, [
        { productId: products[0].id, quantity: 1 + (i % 3) },
        { productId: products[1].id, quantity: 1 + (i % 2) },
      ]);
      expect(res.statusCode).toBe(201);
    }
    await cloneOrders(source.db.url, ORDERS - API_ORDERS, user.id);
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await source?.close();
    await restored?.drop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores every order, audit entry and pending event into a fresh database, and Bulwark finds them', async () => {
    const before = await fingerprint(source.db.url);
    expect(before.orders.startsWith(`${ORDERS}:`)).toBe(true);
    expect(before.pending.startsWith(`${ORDERS}:`)).toBe(true);

    expect([BACKUP, RESTORE]).toEqual([
      'npm run db:backup -- --out bulwark.dump',
      'npm run db:restore -- --from bulwark.dump',
    ]);
    const backup = await sh(BACKUP, dir, { DATABASE_URL: source.db.url });
    expect({ code: backup.code, stderr: backup.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    expect(backup.stdout).toContain(`backup written: ${file}`);
    expect(statSync(file).size).toBeGreaterThan(0);

    restored = await createTestDatabase('bulwark_restore', pg.adminUrl);
    const started = Date.now();
    const restore = await sh(RESTORE, dir, { DATABASE_URL: restored.url });
    const wall = (Date.now() - started) / 1000;
    expect({ code: restore.code, stderr: restore.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    const line = /restored .* in ([\d.]+) s/.exec(restore.stdout);
    expect(line).not.toBeNull();
    console.log(
      `restore drill: ${ORDERS} orders, ${statSync(file).size} bytes; pg_restore took ${line?.[1]} s (the whole command with its build ${wall.toFixed(1)} s)`,
    );

    // Byte for byte what the source held, table by table.
    expect(await fingerprint(restored.url)).toEqual(before);

    // A restore into a database that already holds data is refused, and changes nothing.
    const again = await sh(`bash scripts/node.sh dist/database/backup/restore.js --from ${file}`, ROOT, {
      DATABASE_URL: restored.url,
    });
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^db:restore: the database .* is not empty/),
    ]);
    expect(await fingerprint(restored.url)).toEqual(before);

    // Bulwark on the restored database, with the same JWT secret: the tokens issued before still work.
    service = await startService({
      env: {
        DATABASE_URL: restored.url,
        JWT_SECRET: TEST_JWT_SECRET,
        WEBHOOK_DISPATCHER_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      waitFor: '/health/ready',
    });
    const sourceOrders = await query<{ id: string }>(source.db.url, 'SELECT id FROM orders');
    const orders = await listAll<{ id: string }>(service.url, '/v1/orders', admin.auth);
    expect(new Set(orders.map((o) => o.id))).toEqual(new Set(sourceOrders.map((o) => o.id)));

    const sourceAudit = await query<{ id: string }>(source.db.url, 'SELECT id FROM audit_log');
    const audit = await listAll<{ id: string }>(service.url, '/v1/audit', admin.auth);
    expect(audit.length).toBeGreaterThanOrEqual(ORDERS);
    expect(new Set(audit.map((a) => a.id))).toEqual(new Set(sourceAudit.map((a) => a.id)));

    const sourcePending = await query<{ id: string }>(
      source.db.url,
      "SELECT id FROM webhook_deliveries WHERE status = 'pending'",
    );
    const pending = await listAll<{ id: string }>(
      service.url,
      `/v1/webhooks/${subscriptionId}/deliveries?status=pending`,
      admin.auth,
    );
    expect(pending).toHaveLength(ORDERS);
    expect(new Set(pending.map((d) => d.id))).toEqual(new Set(sourcePending.map((d) => d.id)));

    // Stock conserved: what each product had, less what the confirmed orders took.
    const taken = await query<{ product_id: string; taken: string }>(
      restored.url,
      `SELECT i.product_id, sum(i.quantity) AS taken FROM order_items i JOIN orders o ON o.id = i.order_id
        WHERE o.status = 'confirmed' GROUP BY i.product_id`,
    );
    for (const product of products) {
      const res = await fetch(`${service.url}/v1/products/${product.id}`, { headers: admin.auth });
      const { stock } = (await res.json()) as { stock: number };
      const took = Number(taken.find((t) => t.product_id === product.id)?.taken ?? 0);
      expect(took).toBeGreaterThan(0);
      expect(stock + took).toBe(INITIAL_STOCK);
    }
  }, 600_000);
});

/**
 * `count` more orders shaped exactly like the ones the API wrote (the same columns, the same audit
 * entry and outbox event with its delivery per subscription, the stock taken from the products), in
 * one transaction: the service's own path would take minutes for 10,000.
 */
async function cloneOrders(url: string, count: number, userId: string): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    const [template] = (
      await client.query<{ action: string; entity: string; payload: Record<string, unknown>; type: string }>(
        `SELECT a.action, a.entity, e.payload, e.type FROM audit_log a JOIN outbox_events e ON e.aggregate_id = a.entity_id
          WHERE a.entity = 'order' ORDER BY a.at LIMIT 1`,
      )
    ).rows;
    const items = (template.payload.items as Array<{ productId: string; unitPriceCents: number }>).map(
      (i) => ({
        productId: i.productId,
        price: i.unitPriceCents,
      }),
    );
    expect(items).toHaveLength(2);
    await client.query(
      `CREATE TEMP TABLE drill ON COMMIT DROP AS
         SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS event_id, 1 + g % 3 AS qa, 1 + g % 2 AS qb,
                clock_timestamp() - make_interval(secs => g / 1000.0) AS at
           FROM generate_series(1, $1::int) g`,
      [count],
    );
    const [a, b] = items;
    const itemsJson = `jsonb_build_array(
        jsonb_build_object('productId', '${a.productId}', 'quantity', qa, 'unitPriceCents', ${a.price}),
        jsonb_build_object('productId', '${b.productId}', 'quantity', qb, 'unitPriceCents', ${b.price}))`;
    const total = `(qa * ${a.price} + qb * ${b.price})`;
    const iso = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    await client.query(
      `INSERT INTO orders (id, user_id, status, total_cents, created_at, updated_at)
       SELECT id, $1, 'confirmed', ${total}, at, at FROM drill`,
      [userId],
    );
    await client.query(
      `INSERT INTO order_items (order_id, product_id, position, quantity, unit_price_cents)
       SELECT id, $1::uuid, 0, qa, $2::int FROM drill UNION ALL SELECT id, $3::uuid, 1, qb, $4::int FROM drill`,
      [a.productId, a.price, b.productId, b.price],
    );
    await client.query(
      `INSERT INTO audit_log (at, actor_id, action, entity, entity_id, request_id, changes)
       SELECT at, $1, $2, $3, id::text, 'restore-drill-' || g,
              jsonb_build_object('status', 'confirmed', 'totalCents', ${total}, 'items', ${itemsJson}) FROM drill`,
      [userId, template.action, template.entity],
    );
    await client.query(
      `INSERT INTO outbox_events (id, type, aggregate_id, payload, created_at)
       SELECT event_id, $1, id::text, $2::jsonb || jsonb_build_object('id', id, 'totalCents', ${total},
              'items', ${itemsJson}, 'createdAt', ${iso}, 'updatedAt', ${iso}), at FROM drill`,
      [template.type, JSON.stringify(template.payload)],
    );
    await client.query(
      `INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
       SELECT d.event_id, s.id, d.at, d.at FROM drill d, webhook_subscriptions s
        WHERE s.deleted_at IS NULL AND s.events @> ARRAY[$1]::text[]`,
      [template.type],
    );
    await client.query(`UPDATE products SET stock = stock - (SELECT sum(qa) FROM drill) WHERE id = $1`, [
      a.productId,
    ]);
    await client.query(`UPDATE products SET stock = stock - (SELECT sum(qb) FROM drill) WHERE id = $1`, [
      b.productId,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
