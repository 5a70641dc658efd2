/** An order as the API shows it (CONTRACT "Orders"). */
export interface OrderView {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderItemView[];
  totalCents: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type OrderStatus = 'confirmed' | 'cancelled';

export interface OrderItemView {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  /** bigint: node-postgres answers a string. */
  total_cents: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const ORDER_COLUMNS =
  'o.id, o.user_id, o.status, o.total_cents, o.version, o.created_at, o.updated_at';

/** The items of order `o`, in the order they were given, as one JSON array (no second query). */
export const ORDER_ITEMS_JSON = `COALESCE((
  SELECT json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents) ORDER BY i.position)
    FROM order_items i WHERE i.order_id = o.id), '[]'::json)`;

export function toOrderView(row: OrderRow, items: OrderItemView[]): OrderView {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items,
    totalCents: Number(row.total_cents),
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function orderLocation(id: string): string {
  return `/v1/orders/${id}`;
}
