import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { ProductRow } from './product.entity';

/** A product as the API shows it (docs/api.md, "Routes"). */
@ApiSchema({ name: 'Product' })
export class ProductView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'WIDGET-1' })
  sku!: string;

  @ApiProperty({ example: 'Widget' })
  name!: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Price of one unit, in cents', example: 1250 })
  priceCents!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  stock!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Grows with every change of the product, stock included; the `ETag` is `"<version>"`',
  })
  version!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

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
