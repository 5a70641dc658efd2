import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_ITEMS_PER_ORDER = 50;
export const MAX_QUANTITY = 1000;

export class OrderItemDto {
  // PostgreSQL answers ids in lower case: compare (and check distinctness) in the same case.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsUUID()
  productId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}

/** `POST /v1/orders {items: [{productId, quantity}]}`: 1–50 items, distinct products, quantity 1–1000. Prices come from the catalogue. */
export class CreateOrderDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS_PER_ORDER)
  @ArrayUnique((item: OrderItemDto | undefined) => item?.productId, {
    message: 'items must name each product once',
  })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];
}
