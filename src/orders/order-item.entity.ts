import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** One line of an order: each product at most once, in the order the client gave them (`position`). */
@Entity({ name: 'order_items' })
@Check('order_items_position_check', 'position >= 0')
@Check('order_items_quantity_check', 'quantity BETWEEN 1 AND 1000')
@Check('order_items_unit_price_cents_check', 'unit_price_cents >= 0')
export class OrderItem {
  @PrimaryColumn({ name: 'order_id', type: 'uuid', primaryKeyConstraintName: 'order_items_pkey' })
  @ForeignKey('Order', { name: 'order_items_order_id_fkey', onDelete: 'CASCADE' })
  orderId!: string;

  // Products are never deleted (no route does), so the foreign key needs no index on product_id.
  @PrimaryColumn({ name: 'product_id', type: 'uuid', primaryKeyConstraintName: 'order_items_pkey' })
  @ForeignKey('Product', { name: 'order_items_product_id_fkey' })
  productId!: string;

  @Column({ type: 'smallint' })
  position!: number;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price_cents', type: 'integer' })
  unitPriceCents!: number;
}
