import fc from 'fast-check';

/** The parts of JSON Schema the API document uses. */
export interface Schema {
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
  uniqueItems?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
}

/** Ids of what exists, so that valid requests reach the business logic, not only validation. */
export interface Fixtures {
  productIds: string[];
  orderIds: string[];
  /** Users an admin may change at will (never the fuzz's own admin or user). */
  victimIds: string[];
  /** Subscriptions the fuzz may delete. */
  webhookIds: string[];
  /** A subscription it never deletes, whose deliveries it lists. */
  keptWebhookId: string;
}

/** Public addresses as IP literals: a valid webhook URL that needs no DNS on a machine without network. */
const WEBHOOK_URLS = [
  'https://93.184.215.14/hooks/bulwark',
  'http://93.184.215.14:8080/h',
  'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h',
];

/** Valid values of `schema`, drawn from the fixtures where an id must name something real. */
export function validValue(
  schema: Schema,
  components: Record<string, Schema>,
  fixtures: Fixtures,
  name = '',
): fc.Arbitrary<unknown> {
  const target = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (target) return validObject(components[target.split('/').pop() ?? ''], components, fixtures);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return validText(schema, fixtures, name);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = validValue(schema.items ?? {}, components, fixtures, name);
      const constraints = {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, (schema.minItems ?? 0) + 4),
      };
      // Order items: distinct products; lists documented as unique: distinct values.
      if (schema.items?.$ref?.endsWith('/OrderItemDto'))
        return fc.uniqueArray(items, {
          ...constraints,
          selector: (item) => (item as { productId: string }).productId,
        });
      return schema.uniqueItems ? fc.uniqueArray(items, constraints) : fc.array(items, constraints);
    }
    default:
      throw new Error(`no values for ${JSON.stringify(schema)}`);
  }
}

function validText(schema: Schema, fixtures: Fixtures, name: string): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      if (name === 'productId') return fc.constantFrom(...fixtures.productIds);
      if (name === 'userId' || name === 'actorId')
        return fc.oneof(fc.constantFrom(...fixtures.victimIds), fc.uuid());
      return fc.uuid();
    case 'email':
      return fc.stringMatching(/^[a-z][a-z0-9.]{2,12}[a-z0-9]$/).map((local) => `${local}@fuzz.example.com`);
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'uri':
      return fc.constantFrom(...WEBHOOK_URLS);
    default:
      break;
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 40, minLength + 40);
  // Printable text; the e-mail of a login or a lookup is any text, so it gets e-mail-like text too.
  const text = fc.string({ minLength, maxLength }).filter((s) => s.trim().length >= minLength);
  return name === 'email' ? fc.oneof(text, validText({ format: 'email' }, fixtures, name)) : text;
}

function validObject(
  schema: Schema,
  components: Record<string, Schema>,
  fixtures: Fixtures,
): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, property]) => [
      name,
      validValue(property, components, fixtures, name),
    ]),
  );
  return fc.record(fields, { requiredKeys: schema.required ?? [] });
}
