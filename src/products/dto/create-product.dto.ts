import { IntField, TextField } from '../../common/decorators/field.decorator';

export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000_000;
const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `POST /v1/products {sku, name, priceCents, stock}` (admin). Money in integer cents. */
export class CreateProductDto {
  @TextField({
    pattern: { regex: SKU_PATTERN, message: 'sku must be 1–64 letters, digits, dots, dashes or underscores' },
    example: 'WIDGET-1',
  })
  sku!: string;

  @TextField({ minLength: 1, maxLength: 200, example: 'Widget' })
  name!: string;

  @IntField({ minimum: 0, maximum: MAX_PRICE_CENTS, example: 1250 })
  priceCents!: number;

  @IntField({ minimum: 0, maximum: MAX_STOCK })
  stock!: number;
}
