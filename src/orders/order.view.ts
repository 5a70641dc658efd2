import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** An order is confirmed when placed; cancelling it is the one transition. */
const ORDER_STATUSES = ['confirmed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

@ApiSchema({ name: 'OrderItem' })
export class OrderItemView {
  @ApiProperty({ format: 'uuid' })
  productId!: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  quantity!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Price of one unit when the order was placed, in cents',
  })
  unitPriceCents!: number;
}

/** An order as the API shows it (CONTRACT "Orders"). */
@ApiSchema({ name: 'Order' })
export class OrderView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The user who placed it' })
  userId!: string;

  @ApiProperty({ enum: ORDER_STATUSES })
  status!: OrderStatus;

  @ApiProperty({ type: [OrderItemView], description: 'In the order they were given' })
  items!: OrderItemView[];

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Sum of quantity × unitPriceCents' })
  totalCents!: number;

  @ApiProperty({ type: 'integer', minimum: 1 })
  version!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
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
