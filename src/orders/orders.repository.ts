import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { one, rows, SqlParams, whereAll } from '../database/sql';
import type { OrderRow, OrderStatus } from './order.entity';
import type { OrderItemView } from './order.view';

const ORDER_COLUMNS = 'o.id, o.user_id, o.status, o.total_cents, o.version, o.created_at, o.updated_at';

/** The items of order `o`, in the order they were given, as one JSON array (no second query). */
const ORDER_ITEMS_JSON = `COALESCE((
  SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) ORDER BY i.position)
    FROM order_items i WHERE i.order_id = o.id), '[]'::json)`;

const PAGES = new Keyset('o.created_at', 'o.id');

export interface NewOrder {
  id: string;
  userId: string;
  totalCents: number;
  /** In the order the client gave them (kept as `position`). */
  items: OrderItemView[];
}

/** Unit prices of the products decremented; the ids that name no product. */
export interface Reservation {
  prices: Map<string, number>;
  unknown: string[];
}

export type OrderWithItemsRow = OrderRow & { items: OrderItemView[] };

/**
 * Orders and the stock they hold, in raw SQL: every hot path is one statement (one joined
 * query, no ORM relation loading: docs/database.md, "Persistence").
 *
 * Lock order: every statement that changes several products locks them in product-id order first
 * (`ORDER BY id FOR UPDATE` in a materialized CTE), so concurrent multi-item orders and cancels
 * queue instead of deadlocking; TransactionRunner still retries a 40P01 should one happen.
 */
@Injectable()
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * For each (product, quantity): `stock = stock - quantity` only where `stock >= quantity`, in one
   * statement. Answers the unit price of each product decremented, and the ids that name no product;
   * after any miss the caller must abandon the transaction (other products were decremented).
   *
   * Only rows whose committed stock suffices are locked (`FOR UPDATE` skips rows failing the WHERE
   * and re-checks the newest version of those it waited for), so once a product has sold out,
   * further orders for it answer 409 at once instead of queueing on its row lock.
   */
  async reserveStock(
    manager: EntityManager,
    productIds: string[],
    quantities: number[],
  ): Promise<Reservation> {
    const reserved = await rows<{ id: string; price_cents: number | null; known: boolean }>(
      manager,
      `WITH wanted AS (
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
      [productIds, quantities],
    );
    const prices = new Map<string, number>();
    const unknown: string[] = [];
    for (const row of reserved) {
      if (row.price_cents !== null) prices.set(row.id, row.price_cents);
      else if (!row.known) unknown.push(row.id);
    }
    return { prices, unknown };
  }

  /** The order and all its items, in one statement. */
  async insert(manager: EntityManager, order: NewOrder): Promise<OrderRow> {
    const [created] = await rows<OrderRow>(
      manager,
      `WITH o AS (
         INSERT INTO orders (id, user_id, status, total_cents) VALUES ($1, $2, 'confirmed', $3)
         RETURNING id, user_id, status, total_cents, version, created_at, updated_at
       ), items AS (
         INSERT INTO order_items (order_id, product_id, position, quantity, unit_price_cents)
         SELECT $1, i.product_id, i.position - 1, i.quantity, i.unit_price_cents
           FROM unnest($4::uuid[], $5::int[], $6::int[]) WITH ORDINALITY AS i (product_id, quantity, unit_price_cents, position)
       )
       SELECT * FROM o`,
      [
        order.id,
        order.userId,
        order.totalCents,
        order.items.map((i) => i.productId),
        order.items.map((i) => i.quantity),
        order.items.map((i) => i.unitPriceCents),
      ],
    );
    return created;
  }

  /**
   * confirmed → cancelled for an order `ownerId` may see (any order when null). Undefined when no
   * such order is confirmed; the row lock it takes serialises concurrent cancels of one order.
   */
  async markCancelled(
    manager: EntityManager,
    id: string,
    ownerId: string | null,
  ): Promise<OrderRow | undefined> {
    return one<OrderRow>(
      manager,
      `UPDATE orders o SET status = 'cancelled', version = o.version + 1, updated_at = now()
        WHERE o.id = $1 AND o.status = 'confirmed' AND ($2::uuid IS NULL OR o.user_id = $2::uuid)
      RETURNING ${ORDER_COLUMNS}`,
      [id, ownerId],
    );
  }

  /** Gives every item's quantity back to its product (locked in product-id order); answers the items. */
  async restoreStock(manager: EntityManager, orderId: string): Promise<OrderItemView[]> {
    const restored = await rows<{
      product_id: string;
      position: number;
      quantity: number;
      unit_price_cents: number;
    }>(
      manager,
      `WITH locked AS MATERIALIZED (
         SELECT p.id FROM products p JOIN order_items i ON i.product_id = p.id
          WHERE i.order_id = $1 ORDER BY p.id FOR UPDATE OF p
       )
       UPDATE products p
          SET stock = p.stock + i.quantity, version = p.version + 1, updated_at = now()
         FROM order_items i
        WHERE i.order_id = $1 AND p.id = i.product_id AND p.id IN (SELECT id FROM locked)
      RETURNING i.product_id, i.position, i.quantity, i.unit_price_cents`,
      [orderId],
    );
    return restored
      .sort((a, b) => a.position - b.position)
      .map((r) => ({ productId: r.product_id, quantity: r.quantity, unitPriceCents: r.unit_price_cents }));
  }

  async statusOf(
    manager: EntityManager,
    id: string,
    ownerId: string | null,
  ): Promise<OrderStatus | undefined> {
    const row = await one<{ status: OrderStatus }>(
      manager,
      'SELECT status FROM orders WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)',
      [id, ownerId],
    );
    return row?.status;
  }

  /** One order with its items, in one query; undefined when it does not exist or `ownerId` may not see it. */
  async findVisible(id: string, ownerId: string | null): Promise<OrderWithItemsRow | undefined> {
    return one<OrderWithItemsRow>(
      this.dataSource,
      `SELECT ${ORDER_COLUMNS}, ${ORDER_ITEMS_JSON} AS items
         FROM orders o WHERE o.id = $1 AND ($2::uuid IS NULL OR o.user_id = $2::uuid)`,
      [id, ownerId],
    );
  }

  /** Newest first, `limit + 1` rows, each with its items. */
  async list(filter: {
    userIds: string[];
    limit: number;
    after?: CursorPosition;
  }): Promise<Array<OrderWithItemsRow & { cursorMicros: string }>> {
    const params = new SqlParams();
    // Every id given must match (a user asking for someone else's orders gets none).
    const where = whereAll([
      ...filter.userIds.map((userId) => `o.user_id = ${params.add(userId)}::uuid`),
      PAGES.after(filter.after, params),
    ]);
    return rows<OrderWithItemsRow & { cursorMicros: string }>(
      this.dataSource,
      `SELECT ${ORDER_COLUMNS}, ${ORDER_ITEMS_JSON} AS items, ${PAGES.cursor}
         FROM orders o ${where} ${PAGES.orderBy} LIMIT ${params.add(filter.limit + 1)}`,
      params.values,
    );
  }
}
