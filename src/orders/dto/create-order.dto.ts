import { Transform } from 'class-transformer';
import { IntField, ObjectListField, UuidField } from '../../common/decorators/field.decorator';

export const MAX_ITEMS_PER_ORDER = 50;
export const MAX_QUANTITY = 1000;

export class OrderItemDto {
  // PostgreSQL answers ids in lower case: compare (and check distinctness) in the same case.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @UuidField()
  productId!: string;

  @IntField({ minimum: 1, maximum: MAX_QUANTITY })
  quantity!: number;
}

/** `POST /v1/orders {items: [{productId, quantity}]}`: 1–50 items, distinct products, quantity 1–1000. Prices come from the catalogue. */
export class CreateOrderDto {
  @ObjectListField(OrderItemDto, {
    minItems: 1,
    maxItems: MAX_ITEMS_PER_ORDER,
    distinctBy: { key: (item) => item?.productId, message: 'items must name each product once' },
    description: 'Each product at most once',
  })
  items!: OrderItemDto[];
}
