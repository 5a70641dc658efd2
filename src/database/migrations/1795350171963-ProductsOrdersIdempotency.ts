import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue, orders with their items, and kept idempotent answers.
 * Integrity lives in the database as a backstop to the code: stock can never go below zero (CHECK),
 * an order can never commit without items (deferred constraint trigger), an order names each product
 * once (primary key of order_items), one answer per (user, Idempotency-Key) (primary key).
 */
export class ProductsOrdersIdempotency1795350171963 implements MigrationInterface {
  name = 'ProductsOrdersIdempotency1795350171963';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        stock integer NOT NULL,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT products_sku_key UNIQUE (sku),
        CONSTRAINT products_stock_nonnegative CHECK (stock >= 0)
      )`);
    await q.query('CREATE INDEX products_created_id_idx ON products (created_at DESC, id DESC)');

    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        status text NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX orders_user_created_id_idx ON orders (user_id, created_at DESC, id DESC)');
    await q.query('CREATE INDEX orders_created_id_idx ON orders (created_at DESC, id DESC)');

    await q.query(`
      CREATE TABLE order_items (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products (id),
        position smallint NOT NULL CHECK (position >= 0),
        quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
        unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
        PRIMARY KEY (order_id, product_id)
      )`);
    // Products are never deleted (no route does), so the foreign key needs no index on product_id.

    await q.query(`
      CREATE FUNCTION orders_require_items() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM order_items WHERE order_id = NEW.id) THEN
          RAISE EXCEPTION 'order % has no items', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER orders_have_items AFTER INSERT ON orders
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_require_items()`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
        fingerprint text NOT NULL,
        status_code smallint NOT NULL CHECK (status_code BETWEEN 200 AND 599),
        body text NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query('CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_keys');
    await q.query('DROP TABLE order_items');
    await q.query('DROP TABLE orders');
    await q.query('DROP FUNCTION orders_require_items()');
    await q.query('DROP TABLE products');
  }
}
