import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { one, rows, SqlParams, whereAll } from '../database/sql';
import type { CreateProductDto } from './dto/create-product.dto';
import type { UpdateProductDto } from './dto/update-product.dto';
import type { ProductRow } from './product.entity';

const PRODUCT_COLUMNS = 'id, sku, name, price_cents, stock, version, created_at, updated_at';
const PAGES = new Keyset('created_at', 'id');

export interface ProductUpdateResult {
  before: Pick<ProductRow, 'name' | 'price_cents' | 'stock'>;
  after: ProductRow;
}

/** Whether the UPDATE below changes a value (`$3`–`$5` are the new values, NULL for "unchanged"). */
const CHANGED = `(COALESCE($3, p.name) IS DISTINCT FROM p.name
   OR COALESCE($4, p.price_cents) IS DISTINCT FROM p.price_cents
   OR COALESCE($5, p.stock) IS DISTINCT FROM p.stock)`;

/** The `products` table, in raw SQL (one statement per operation, no ORM round trips). */
@Injectable()
export class ProductsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findById(id: string): Promise<ProductRow | undefined> {
    return one<ProductRow>(this.dataSource, `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id]);
  }

  async exists(manager: EntityManager, id: string): Promise<boolean> {
    return (await one(manager, 'SELECT 1 FROM products WHERE id = $1', [id])) !== undefined;
  }

  /** Newest first, `limit + 1` rows from after `after`. */
  async list(limit: number, after?: CursorPosition): Promise<Array<ProductRow & { cursorMicros: string }>> {
    const params = new SqlParams();
    const where = whereAll([PAGES.after(after, params)]);
    return rows<ProductRow & { cursorMicros: string }>(
      this.dataSource,
      `SELECT ${PRODUCT_COLUMNS}, ${PAGES.cursor} FROM products ${where} ${PAGES.orderBy} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
  }

  /** Undefined when the SKU is taken. */
  async insert(manager: EntityManager, dto: CreateProductDto): Promise<ProductRow | undefined> {
    return one<ProductRow>(
      manager,
      `INSERT INTO products (sku, name, price_cents, stock) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sku) DO NOTHING RETURNING ${PRODUCT_COLUMNS}`,
      [dto.sku, dto.name, dto.priceCents, dto.stock],
    );
  }

  /**
   * Applies the given fields if the product's version is one of `versions` (any version when
   * undefined). Undefined when no row matched (missing product or stale version). The version and
   * `updated_at` move only when a value really changes: a change to the same values, or to nothing
   * (an empty PATCH), leaves the product as it was (issue 14, finding 9).
   */
  async update(
    manager: EntityManager,
    id: string,
    dto: UpdateProductDto,
    versions?: number[],
  ): Promise<ProductUpdateResult | undefined> {
    const row = await one<ProductRow & { old_name: string; old_price_cents: number; old_stock: number }>(
      manager,
      `UPDATE products p
          SET name = COALESCE($3, p.name),
              price_cents = COALESCE($4, p.price_cents),
              stock = COALESCE($5, p.stock),
              version = p.version + CASE WHEN ${CHANGED} THEN 1 ELSE 0 END,
              updated_at = CASE WHEN ${CHANGED} THEN now() ELSE p.updated_at END
         FROM (SELECT id, name, price_cents, stock FROM products WHERE id = $1 FOR UPDATE) old
        WHERE p.id = old.id AND ($2::int[] IS NULL OR p.version = ANY ($2::int[]))
      RETURNING p.id, p.sku, p.name, p.price_cents, p.stock, p.version, p.created_at, p.updated_at,
                old.name AS old_name, old.price_cents AS old_price_cents, old.stock AS old_stock`,
      [id, versions ?? null, dto.name ?? null, dto.priceCents ?? null, dto.stock ?? null],
    );
    if (!row) return undefined;
    const { old_name, old_price_cents, old_stock, ...after } = row;
    return { before: { name: old_name, price_cents: old_price_cents, stock: old_stock }, after };
  }
}
