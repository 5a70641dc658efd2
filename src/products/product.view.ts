/** A product as the API shows it (CONTRACT "Products"). */
export interface ProductView {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

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

export const PRODUCT_COLUMNS = 'id, sku, name, price_cents, stock, version, created_at, updated_at';

export function toProductView(row: ProductRow): ProductView {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    priceCents: row.price_cents,
    stock: row.stock,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
