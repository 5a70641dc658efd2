import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import { ORDER_STATUSES, OrderRow, OrderStatus } from './order.entity';

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

/** An order as the API shows it (docs/api.md, "Routes"; docs/orders.md). */
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
