import { IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

export const MAX_PRICE_CENTS = 100_000_000;
export const MAX_STOCK = 1_000_000_000;

/** `POST /v1/products {sku, name, priceCents, stock}` (admin). Money in integer cents. */
export class CreateProductDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'sku must be 1–64 letters, digits, dots, dashes or underscores',
  })
  sku!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  priceCents!: number;

  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;
}
