import { applyDecorators, Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { Type as TransformTo } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/**
 * Request fields declared once: each decorator below applies the class-validator rules that are
 * enforced and documents the same numbers in the OpenAPI schema, so a limit cannot be enforced with
 * one value and documented with another. (The @nestjs/swagger CLI plugin's `classValidatorShim` was
 * the alternative; in the mode SWC builds can use, a generated metadata file, it drops every limit
 * given as a constant, such as `MAX_QUANTITY`, and every `@IsIn`.)
 */
interface FieldOptions {
  /**
   * May be left out. Only an absent field skips the rules: `null` is refused like any other wrong
   * type, as the document says (`@IsOptional()` would let it through to the service, where a `null`
   * name reached a NOT NULL column as a 500).
   */
  optional?: boolean;
  description?: string;
  example?: unknown;
}

const isPresent = (_object: object, value: unknown): boolean => value !== undefined;

/** Applies `rules` as if written one above the other, so class-validator reports them in that order. */
function field(
  doc: ApiPropertyOptions,
  options: FieldOptions,
  rules: PropertyDecorator[],
): PropertyDecorator {
  const documented = ApiProperty({
    ...doc,
    required: !options.optional,
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.example === undefined ? {} : { example: options.example }),
  } as ApiPropertyOptions);
  const stack = [documented, ...(options.optional ? [ValidateIf(isPresent)] : []), ...rules];
  return applyDecorators(...stack.reverse());
}

interface TextOptions extends FieldOptions {
  minLength?: number;
  maxLength?: number;
  /** The whole value must match (`^…$`); `message` is the validation message. */
  pattern?: { regex: RegExp; message: string };
  /** Documented only (the service checks URLs itself). */
  format?: 'uri';
}

export function TextField(options: TextOptions): PropertyDecorator {
  const { minLength, maxLength, pattern, format } = options;
  return field({ type: 'string', minLength, maxLength, pattern: pattern?.regex.source, format }, options, [
    IsString(),
    ...(minLength === undefined ? [] : [MinLength(minLength)]),
    ...(maxLength === undefined ? [] : [MaxLength(maxLength)]),
    ...(pattern ? [Matches(pattern.regex, { message: pattern.message })] : []),
  ]);
}

export function EmailField(
  options: FieldOptions & { maxLength: number; message: string },
): PropertyDecorator {
  return field({ type: 'string', format: 'email', maxLength: options.maxLength }, options, [
    IsEmail({}, { message: options.message }),
    MaxLength(options.maxLength),
  ]);
}

interface IntOptions extends FieldOptions {
  minimum: number;
  maximum: number;
  /** The value used when the field is left out. */
  default?: number;
  /** A query parameter: the text is converted to a number before validation. */
  fromQuery?: boolean;
}

export function IntField(options: IntOptions): PropertyDecorator {
  const { minimum, maximum } = options;
  return field({ type: 'integer', minimum, maximum, default: options.default }, options, [
    ...(options.fromQuery ? [TransformTo(() => Number)] : []),
    IsInt(),
    Min(minimum),
    Max(maximum),
  ]);
}

export function UuidField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'string', format: 'uuid' }, options, [IsUUID()]);
}

export function BooleanField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'boolean' }, options, [IsBoolean()]);
}

/** An ISO 8601 date-time (a date alone is accepted too). */
export function DateTimeField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'string', format: 'date-time' }, options, [IsISO8601({ strict: true })]);
}

/** One of `values` (a constant of the code, never a repeated literal list). */
export function OneOfField(values: readonly string[], options: FieldOptions = {}): PropertyDecorator {
  return field({ enum: [...values] }, options, [IsIn(values)]);
}

interface ListOptions extends FieldOptions {
  minItems: number;
  maxItems: number;
}

/** A list of distinct values, each one of `values`. */
export function OneOfListField(
  values: readonly string[],
  options: ListOptions & { message: string },
): PropertyDecorator {
  const { minItems, maxItems } = options;
  return field({ enum: [...values], isArray: true, minItems, maxItems, uniqueItems: true }, options, [
    IsArray(),
    ArrayMinSize(minItems),
    ArrayMaxSize(maxItems),
    ArrayUnique(),
    IsIn(values, { each: true, message: options.message }),
  ]);
}

/**
 * A list of objects validated as `item` (a nested DTO class). `distinctBy` rejects two items with the same
 * key (JSON Schema's `uniqueItems` compares whole items only, so the rule is documented in words).
 */
export function ObjectListField<T>(
  item: Type<T>,
  options: ListOptions & { distinctBy?: { key: (item: T | undefined) => unknown; message: string } },
): PropertyDecorator {
  const { minItems, maxItems, distinctBy } = options;
  return field({ type: item, isArray: true, minItems, maxItems }, options, [
    IsArray(),
    ArrayMinSize(minItems),
    ArrayMaxSize(maxItems),
    ...(distinctBy ? [ArrayUnique(distinctBy.key, { message: distinctBy.message })] : []),
    ValidateNested({ each: true }),
    TransformTo(() => item),
  ]);
}
