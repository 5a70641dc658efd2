import { randomUUID } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { generateSchema } from '@nestjs/swagger';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { AuditQueryDto } from '../audit/dto/audit-query.dto';
import { LoginDto } from '../auth/dto/login.dto';
import { RefreshTokenDto } from '../auth/dto/refresh-token.dto';
import { RegisterDto } from '../auth/dto/register.dto';
import { emailAmbiguity, normalizeEmail } from '../common/email';
import { PageQueryDto } from '../common/pagination/cursor';
import { createValidationPipe } from '../common/pipes/validation.pipe';
import { CreateOrderDto } from '../orders/dto/create-order.dto';
import { ListOrdersDto } from '../orders/dto/list-orders.dto';
import { CreateProductDto } from '../products/dto/create-product.dto';
import { UpdateProductDto } from '../products/dto/update-product.dto';
import { AdminUpdateUserDto } from '../users/dto/admin-update-user.dto';
import { ListUsersDto } from '../users/dto/list-users.dto';
import { UpdateMeDto } from '../users/dto/update-me.dto';
import { CreateWebhookDto } from '../webhooks/dto/create-webhook.dto';
import { ListDeliveriesDto } from '../webhooks/dto/list-deliveries.dto';

type Schema = {
  type?: string;
  $ref?: string;
  allOf?: Schema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
};

/**
 * Values of a documented format: well-formed ones and plainly malformed ones. Borderline spellings
 * are left out where the two libraries knowingly differ (a date without a time zone, an e-mail's
 * local part over 64 characters); a URL is documented as one but checked by the service, not here.
 */
const FORMATS: Record<string, fc.Arbitrary<unknown>> = {
  uuid: fc.oneof(
    fc.uuid(),
    fc.uuid().map((id) => id.toUpperCase()),
    fc.constantFrom('not-a-uuid', ''),
  ),
  email: fc.constantFrom('ada@example.com', 'Ada.Lovelace@Example.COM', 'not-an-email', '@example.com'),
  'date-time': fc.oneof(
    fc
      .date({ noInvalidDate: true, min: new Date('1971-01-01'), max: new Date('2200-01-01') })
      .map((d) => d.toISOString()),
    fc.constantFrom('2024-05-01T10:00:00.123+02:00', 'yesterday', '2024-13-01T00:00:00Z'),
  ),
  uri: fc.constantFrom('https://example.com/hooks/bulwark', 'http://93.184.215.14:8080/h'),
};

const WELL_FORMED: Record<string, string> = {
  email: 'ada@example.com',
  'date-time': '2024-05-01T10:00:00Z',
  uri: 'https://example.com/hooks/bulwark',
};

/**
 * E-mail fields are normalised before they are checked (EMAIL_RULES in their description): the
 * schema judges the normalised value, and look-alike spellings are refused in words.
 */
function normalised(value: unknown): unknown {
  const email = (value as { email?: unknown } | null)?.email;
  return typeof email === 'string' ? { ...(value as object), email: normalizeEmail(email) } : value;
}
const unambiguousEmail = (value: unknown): boolean => {
  const email = (value as { email?: unknown } | null)?.email;
  return typeof email !== 'string' || emailAmbiguity(normalizeEmail(email)) === undefined;
};

/**
 * Rules the schema cannot express and states in words instead: they make the pipe refuse what the
 * schema alone would accept. (Text with NUL or a lone surrogate is refused in every text field too,
 * as docs/api.md says; the generated text here has neither.)
 */
const IN_WORDS: Record<string, (body: unknown) => boolean> = {
  // Only a new address is refused as a look-alike; lookups (login, the admin's filter) match what exists.
  RegisterDto: unambiguousEmail,
  // `items`: each product at most once (compared in lower case, as the DTO does).
  CreateOrderDto: (body) => {
    const items = (body as { items?: unknown }).items;
    if (!Array.isArray(items)) return true;
    const ids = items.map((item) =>
      String((item as { productId?: unknown } | null)?.productId).toLowerCase(),
    );
    return new Set(ids).size === ids.length;
  },
};

const around = (n: number) => fc.integer({ min: n - 2, max: n + 2 });
/** Mostly well-formed values, so that a single bad field among good ones is tried often. */
const mostly = (valid: fc.Arbitrary<unknown>, ...others: Array<fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { arbitrary: valid, weight: others.length * 2 },
    ...others.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
/** Values on both sides of each bound, about as often as well-formed ones. */
const bounded = (
  valid: fc.Arbitrary<unknown>,
  bounds: Array<fc.Arbitrary<unknown>>,
  ...others: Array<fc.Arbitrary<unknown>>
) =>
  fc.oneof(
    { arbitrary: valid, weight: 4 },
    ...bounds.map((arbitrary) => ({ arbitrary, weight: 2 })),
    ...others.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );

/** Values near and across every documented bound of `schema`, and values of other types. */
function valuesOf(schema: Schema, components: Record<string, Schema>): fc.Arbitrary<unknown> {
  const target = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (target) return objectsOf(components[target.split('/').pop() ?? ''], components);
  // Values of other types (a URL's text is checked by the service, so no other text there).
  const other = fc.constantFrom<unknown>(null, 7, true, [], {}, ...(schema.format === 'uri' ? [] : ['text']));
  if (schema.enum) return mostly(fc.constantFrom(...schema.enum), fc.constant('not-one-of-them'), other);
  switch (schema.type) {
    case 'string': {
      if (schema.format) {
        const samples = FORMATS[schema.format];
        if (!samples) throw new Error(`no sample values for format ${schema.format}`);
        const long =
          schema.maxLength === undefined || schema.format !== 'uri'
            ? []
            : [around(schema.maxLength).map((n) => `https://example.com/${'a'.repeat(Math.max(0, n - 20))}`)];
        return mostly(samples, other, ...long);
      }
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 8;
      const fitting = schema.pattern
        ? fc.stringMatching(new RegExp(schema.pattern))
        : fc.integer({ min, max }).map((n) => 'a'.repeat(n));
      const lengths = [min, max].map((n) => around(Math.max(2, n)).map((k) => 'a'.repeat(Math.max(0, k))));
      return bounded(fitting, lengths, fc.string({ maxLength: 12 }), other);
    }
    case 'integer': {
      const min = schema.minimum ?? -100;
      const max = schema.maximum ?? 100;
      return mostly(
        fc.integer({ min, max }),
        around(min),
        around(max),
        fc.double({ min: -10, max: 10, noNaN: true }),
        other,
      );
    }
    case 'boolean':
      return mostly(fc.boolean(), other);
    case 'array': {
      const items = valuesOf(schema.items ?? {}, components);
      const min = schema.minItems ?? 0;
      const max = schema.maxItems ?? 3;
      return mostly(
        fc.array(items, { minLength: min, maxLength: Math.min(max, min + 3) }),
        fc.array(items, { minLength: Math.max(0, max - 1), maxLength: max + 1 }),
        fc.array(items, { maxLength: Math.min(1, min) }),
        other,
      );
    }
    default:
      throw new Error(`no values for schema ${JSON.stringify(schema)}`);
  }
}

function objectsOf(schema: Schema, components: Record<string, Schema>): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, property]) => [name, valuesOf(property, components)]),
  );
  // Mostly with every required field; now and then any field missing, or one the document does not list.
  const value = mostly(
    fc.record(fields, { requiredKeys: schema.required ?? [] }),
    fc.record(fields, { requiredKeys: [] }),
  );
  return fc
    .tuple(value, fc.option(fc.constant({ unlisted: 1 }), { freq: 8 }))
    .map(([fields, extra]) => ({ ...(fields as object), ...(extra ?? {}) }));
}

/** A value the schema accepts, built from it (each array item and uuid a new one). */
function sample(schema: Schema, components: Record<string, Schema>): unknown {
  const target = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (target) {
    const object = components[target.split('/').pop() ?? ''];
    return Object.fromEntries(
      (object.required ?? []).map((name) => [name, sample(object.properties?.[name] ?? {}, components)]),
    );
  }
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format) return WELL_FORMED[schema.format];
      return 'a'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
      return schema.minimum ?? 0;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        sample(schema.items ?? {}, components),
      );
    default:
      throw new Error(`no sample for ${JSON.stringify(schema)}`);
  }
}

/** Values on each side of every bound the schema documents. */
function edges(schema: Schema, components: Record<string, Schema>): unknown[] {
  const values: unknown[] = [null];
  const lengths = (n: number | undefined) => (n === undefined ? [] : [n - 1, n, n + 1].filter((k) => k >= 0));
  if (schema.type === 'string' && !schema.format && !schema.enum) {
    for (const n of [...lengths(schema.minLength), ...lengths(schema.maxLength)]) values.push('a'.repeat(n));
  }
  if (schema.type === 'integer') {
    for (const bound of [schema.minimum, schema.maximum])
      if (bound !== undefined) values.push(bound - 1, bound, bound + 1);
    values.push(1.5);
  }
  if (schema.enum) values.push(...schema.enum, 'not-one-of-them');
  if (schema.type === 'array') {
    for (const n of [...lengths(schema.minItems), ...lengths(schema.maxItems)])
      values.push(Array.from({ length: n }, () => sample(schema.items ?? {}, components)));
  }
  return values;
}

const pipe = createValidationPipe();
const accepted = (metatype: Type, type: 'body' | 'query', value: unknown): Promise<boolean> =>
  pipe.transform(value, { type, metatype }).then(
    () => true,
    () => false,
  );

function documented(dto: Type): {
  validate: (value: unknown) => boolean;
  schema: Schema;
  components: Record<string, Schema>;
} {
  const { schemas } = generateSchema(dto) as unknown as { schemas: Record<string, Schema> };
  // Unknown properties are refused by the validation pipe (forbidNonWhitelisted): close the schemas alike.
  for (const schema of Object.values(schemas)) schema.additionalProperties = false;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'dto.json', components: { schemas } });
  const validate = ajv.compile({ $ref: `dto.json#/components/schemas/${dto.name}` });
  return { validate: (value) => validate(value), schema: schemas[dto.name], components: schemas };
}

/** Query values arrive as text; integers are documented as numbers (the pipe converts them). */
function asQuery(value: unknown, schema: Schema): { text: unknown; typed: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { text: value, typed: value };
  const text: Record<string, unknown> = {};
  const typed: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    const raw = typeof field === 'string' ? field : JSON.stringify(field);
    text[name] = raw;
    typed[name] = schema.properties?.[name]?.type === 'integer' ? Number(raw) : raw;
  }
  return { text, typed };
}

describe('request schemas of the API document', () => {
  const bodies: Type[] = [
    RegisterDto,
    LoginDto,
    RefreshTokenDto,
    UpdateMeDto,
    AdminUpdateUserDto,
    CreateProductDto,
    UpdateProductDto,
    CreateOrderDto,
    CreateWebhookDto,
  ];
  it.each(bodies.map((dto) => [dto.name, dto]))(
    '%s: the documented schema accepts exactly the bodies the validation pipe accepts',
    async (_name, dto) => {
      const { validate, schema, components } = documented(dto as Type);
      await fc.assert(
        fc.asyncProperty(objectsOf(schema, components), async (body) => {
          const inWords = IN_WORDS[(dto as Type).name] ?? (() => true);
          expect({ body, accepted: await accepted(dto as Type, 'body', body) }).toEqual({
            body,
            accepted: validate(normalised(body)) && inWords(body),
          });
        }),
        { numRuns: 1000 },
      );
    },
  );

  const queries: Type[] = [PageQueryDto, ListOrdersDto, ListUsersDto, ListDeliveriesDto, AuditQueryDto];
  it.each(queries.map((dto) => [dto.name, dto]))(
    '%s: the documented parameters accept exactly the queries the validation pipe accepts',
    async (_name, dto) => {
      const { validate, schema, components } = documented(dto as Type);
      const strings = objectsOf(schema, components).filter(
        (query) =>
          typeof query === 'object' &&
          query !== null &&
          Object.values(query).every((v) => typeof v === 'string' || typeof v === 'number'),
      );
      await fc.assert(
        fc.asyncProperty(strings, async (query) => {
          const { text, typed } = asQuery(query, schema);
          expect({ query: text, accepted: await accepted(dto as Type, 'query', text) }).toEqual({
            query: text,
            accepted: validate(normalised(typed)) && (IN_WORDS[(dto as Type).name] ?? (() => true))(typed),
          });
        }),
        { numRuns: 300 },
      );
    },
  );

  it.each(bodies.map((dto) => [dto.name, dto]))(
    '%s: on each side of every documented bound, the schema and the pipe agree',
    async (_name, dto) => {
      const { validate, schema, components } = documented(dto as Type);
      const base = sample(
        { $ref: `#/${(dto as Type).name}` },
        { ...components, [(dto as Type).name]: schema },
      ) as object;
      expect(validate(base)).toBe(true);
      expect(await accepted(dto as Type, 'body', base)).toBe(true);
      const disagreements: unknown[] = [];
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const variants = [...edges(property, components).map((value) => ({ ...base, [name]: value }))];
        variants.push(Object.fromEntries(Object.entries(base).filter(([key]) => key !== name)));
        for (const body of variants) {
          const byPipe = await accepted(dto as Type, 'body', body);
          if (byPipe !== validate(body)) disagreements.push({ body, byPipe });
        }
      }
      expect(disagreements).toEqual([]);
    },
  );

  it('refuses null for a field that may be left out, as the document does', async () => {
    expect(await accepted(UpdateMeDto, 'body', { name: null })).toBe(false);
    expect(await accepted(UpdateProductDto, 'body', { stock: null })).toBe(false);
    expect(await accepted(UpdateMeDto, 'body', {})).toBe(true);
  });
});
