import { applyDecorators, Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type as TransformTo } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  isEmail,
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
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { EMAIL_AMBIGUITY_MESSAGES, emailAmbiguity, normalizeEmail } from '../email';
import { FieldShape, recordField, ScalarType } from '../pipes/input-shape';
import { TEXT_PROBLEM_MESSAGES, textProblem } from '../text';

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

/** Records the field's shape for the bounded check that runs before validation (src/common/pipes/input-shape.ts). */
const shaped =
  (shape: FieldShape): PropertyDecorator =>
  (target, property) =>
    recordField(target.constructor, String(property), shape);

const scalar = (type: ScalarType) => ({ kind: 'scalar', type }) as const;

/**
 * Applies `rules` as if written one above the other, so class-validator reports them in that order.
 * `shape` is what the bounded check knows of the field: its JSON kind, and for a list its length limit
 * and what its elements are.
 */
function field(
  doc: ApiPropertyOptions,
  options: FieldOptions,
  shape: FieldShape,
  rules: PropertyDecorator[],
): PropertyDecorator {
  const documented = ApiProperty({
    ...doc,
    required: !options.optional,
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.example === undefined ? {} : { example: options.example }),
  } as ApiPropertyOptions);
  const stack = [documented, shaped(shape), ...(options.optional ? [ValidateIf(isPresent)] : []), ...rules];
  return applyDecorators(...stack.reverse());
}

/**
 * Text that PostgreSQL can store and JSON can carry: no NUL, no lone surrogate (src/common/text.ts).
 * On every text field, bodies and query filters alike.
 */
function StorableText(): PropertyDecorator {
  return ValidateBy({
    name: 'isStorableText',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || textProblem(value) === undefined,
      defaultMessage: (args) =>
        `${args?.property} ${TEXT_PROBLEM_MESSAGES[textProblem(String(args?.value)) ?? 'nul']}`,
    },
  });
}

/**
 * An e-mail address (validator.js's `isEmail`). Text that is not storable is left to `StorableText`:
 * `isEmail` throws `URIError` on a lone surrogate, which would be a 500.
 */
function EmailAddress(message: string): PropertyDecorator {
  return ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value: unknown) =>
        typeof value !== 'string' || textProblem(value) !== undefined || isEmail(value),
      defaultMessage: () => message,
    },
  });
}

/** No invisible characters, no mixed writing systems (src/common/email.ts). */
function Unambiguous(): PropertyDecorator {
  const ambiguity = (value: unknown) =>
    typeof value === 'string' && textProblem(value) === undefined ? emailAmbiguity(value) : undefined;
  return ValidateBy({
    name: 'isUnambiguousEmail',
    validator: {
      validate: (value: unknown) => ambiguity(value) === undefined,
      defaultMessage: (args) =>
        `${args?.property} ${EMAIL_AMBIGUITY_MESSAGES[ambiguity(args?.value) ?? 'invisible']}`,
    },
  });
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
  const doc = { type: 'string', minLength, maxLength, pattern: pattern?.regex.source, format } as const;
  return field(doc, options, scalar('string'), [
    IsString(),
    StorableText(),
    ...(minLength === undefined ? [] : [MinLength(minLength)]),
    ...(maxLength === undefined ? [] : [MaxLength(maxLength)]),
    ...(pattern ? [Matches(pattern.regex, { message: pattern.message })] : []),
  ]);
}

/** The rules of an e-mail field in words (the schema cannot state them): for its description. */
export const EMAIL_RULES =
  'Normalised before it is checked and stored (Unicode NFKC, lower case, blanks around removed). ' +
  'A new address with invisible characters, spaces or letters of several writing systems in the ' +
  'local part or in one domain label is refused (look-alike addresses); a lookup is not.';

interface EmailOptions extends FieldOptions {
  maxLength: number;
  /**
   * `address`: must be an e-mail address (registration), with `message` when it is not. `lookup`:
   * any text, used to find an account (login, the admin's filter): a wrong one simply matches nothing.
   */
  accepts: { address: string } | 'lookup';
}

/**
 * An e-mail, normalised before it is checked (NFKC, lower case, trimmed: src/common/email.ts), so
 * the service receives the one spelling that is stored. A new address (registration) is refused when
 * it is a look-alike spelling (invisible characters, mixed writing systems; issue 14, finding 9), so no
 * new account can impersonate another. A lookup (login, the admin's filter) is not: it only finds
 * what exists, and an account stored before these rules (see the NormaliseEmails migration) must
 * still be able to sign in and be found.
 */
export function EmailField(options: EmailOptions): PropertyDecorator {
  const { maxLength, accepts } = options;
  const address = accepts !== 'lookup';
  const doc = { type: 'string', maxLength, ...(address ? { format: 'email' } : { minLength: 1 }) } as const;
  return field(doc, options, scalar('string'), [
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value)),
    IsString(),
    StorableText(),
    ...(address ? [] : [MinLength(1)]),
    MaxLength(maxLength),
    ...(address ? [Unambiguous(), EmailAddress(accepts.address)] : []),
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
  return field({ type: 'integer', minimum, maximum, default: options.default }, options, scalar('integer'), [
    ...(options.fromQuery ? [TransformTo(() => Number)] : []),
    IsInt(),
    Min(minimum),
    Max(maximum),
  ]);
}

export function UuidField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'string', format: 'uuid' }, options, scalar('string'), [IsUUID()]);
}

export function BooleanField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'boolean' }, options, scalar('boolean'), [IsBoolean()]);
}

/**
 * ISO 8601 has spellings PostgreSQL does not read (week dates `2024-W01` were a 500: SQLSTATE
 * 22007), and offsets beyond its ±15:59 (`-23:59`, 22009). The RFC 3339 shape the document promises,
 * a date alone allowed, with an offset no real time zone exceeds.
 */
const RFC3339_SHAPE =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)?)?$/;

/** An ISO 8601 date-time (a date alone is accepted too). */
export function DateTimeField(options: FieldOptions = {}): PropertyDecorator {
  return field({ type: 'string', format: 'date-time' }, options, scalar('string'), [
    IsISO8601({ strict: true }),
    Matches(RFC3339_SHAPE, { message: '$property must be an RFC 3339 date-time (or a date)' }),
  ]);
}

/** One of `values` (a constant of the code, never a repeated literal list). */
export function OneOfField(values: readonly string[], options: FieldOptions = {}): PropertyDecorator {
  return field({ enum: [...values] }, options, scalar('string'), [IsIn(values)]);
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
  const doc = { enum: [...values], isArray: true, minItems, maxItems, uniqueItems: true };
  return field(doc, options, { kind: 'list', maxItems, item: scalar('string') }, [
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
  const shape: FieldShape = { kind: 'list', maxItems, item: { kind: 'object', dto: () => item } };
  return field({ type: item, isArray: true, minItems, maxItems }, options, shape, [
    IsArray(),
    ArrayMinSize(minItems),
    ArrayMaxSize(maxItems),
    ...(distinctBy ? [ArrayUnique(distinctBy.key, { message: distinctBy.message })] : []),
    ValidateNested({ each: true }),
    TransformTo(() => item),
  ]);
}
