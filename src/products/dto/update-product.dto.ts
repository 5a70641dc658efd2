import { IntField, TextField } from '../../common/decorators/field.decorator';
import { MAX_PRICE_CENTS, MAX_STOCK } from './create-product.dto';

/** `PATCH /v1/products/:id {name?, priceCents?, stock?}` (admin); `stock` sets the level absolutely. */
export class UpdateProductDto {
  @TextField({ optional: true, minLength: 1, maxLength: 200 })
  name?: string;

  @IntField({ optional: true, minimum: 0, maximum: MAX_PRICE_CENTS })
  priceCents?: number;

  @IntField({ optional: true, minimum: 0, maximum: MAX_STOCK, description: 'The new stock level (absolute)' })
  stock?: number;
}
