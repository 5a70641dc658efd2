import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An order is confirmed when placed; cancelling it is the one transition. */
export const ORDER_STATUSES = ['confirmed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * An order (table `orders`). A deferred constraint trigger refuses to commit an order without items
 * (see the ProductsOrdersIdempotency migration).
 */
@Entity({ name: 'orders' })
@Check('orders_status_check', `status IN ('confirmed', 'cancelled')`)
@Check('orders_total_cents_check', 'total_cents >= 0')
@Check('orders_version_check', 'version >= 1')
@Index('orders_user_created_id_idx', ['userId', 'createdAt', 'id']) // (user_id, created_at DESC, id DESC)
@Index('orders_created_id_idx', ['createdAt', 'id']) // (created_at DESC, id DESC)
export class Order {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'orders_pkey' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'orders_user_id_fkey' })
  userId!: string;

  @Column({ type: 'text' })
  status!: OrderStatus;

  /** bigint: node-postgres answers a string. */
  @Column({ name: 'total_cents', type: 'bigint' })
  totalCents!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

/** An `orders` row as raw SQL answers it (snake_case columns). */
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
