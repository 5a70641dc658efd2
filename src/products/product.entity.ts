import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A product of the catalogue; stock can never go below zero (a CHECK), products are never deleted. */
@Entity({ name: 'products' })
@Unique('products_sku_key', ['sku'])
@Check('products_sku_check', 'length(sku) BETWEEN 1 AND 64')
@Check('products_name_check', 'length(name) BETWEEN 1 AND 200')
@Check('products_price_cents_check', 'price_cents >= 0')
@Check('products_version_check', 'version >= 1')
@Check('products_stock_nonnegative', 'stock >= 0')
@Index('products_created_id_idx', ['createdAt', 'id']) // (created_at DESC, id DESC)
export class Product {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'products_pkey' })
  id!: string;

  @Column({ type: 'text' })
  sku!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'price_cents', type: 'integer' })
  priceCents!: number;

  @Column({ type: 'integer' })
  stock!: number;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

/** A `products` row as raw SQL answers it (snake_case columns). */
export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: number;
  stock: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}
