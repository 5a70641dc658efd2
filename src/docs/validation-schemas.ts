import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/** class-transformer's `@Type` registry (not in its typed public API; the package has no exports map). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: {
    findTypeMetadata(target: ClassRef, property: string): { typeFunction(): unknown } | undefined;
  };
};

/** Swagger's own property metadata key (`@ApiProperty`): a property that has it is left alone. */
const SWAGGER_PROPERTIES = 'swagger/apiModelPropertiesArray';

/** A class (DTO), as decorators and metadata registries see it. */
export type ClassRef = abstract new (...args: never[]) => unknown;

type Meta = { type: string; name?: string; propertyName: string; constraints: unknown[]; each: boolean };
type Schema = Record<string, unknown>;

const described = new WeakSet<ClassRef>();

/** How each class-validator rule reads in JSON Schema. Unlisted rules are still enforced, just not documented. */
function applyRule(rule: Meta, schema: Schema, items: Schema): void {
  const target = rule.each ? items : schema;
  const [a, b] = rule.constraints ?? [];
  switch (rule.name) {
    case 'isString':
      target.type = 'string';
      break;
    case 'isInt':
      target.type = 'integer';
      break;
    case 'isNumber':
    case 'isNumberString':
      target.type = 'number';
      break;
    case 'isBoolean':
      target.type = 'boolean';
      break;
    case 'isEmail':
      Object.assign(target, { type: 'string', format: 'email' });
      break;
    case 'isUuid':
    case 'isUUID':
      Object.assign(target, { type: 'string', format: 'uuid' });
      break;
    case 'isUrl':
    case 'isURL':
      Object.assign(target, { type: 'string', format: 'uri' });
      break;
    case 'isISO8601':
    case 'isIso8601':
    case 'isDateString':
      Object.assign(target, { type: 'string', format: 'date-time' });
      break;
    case 'min':
      target.minimum = a;
      break;
    case 'max':
      target.maximum = a;
      break;
    case 'minLength':
      target.minLength = a;
      break;
    case 'maxLength':
      target.maxLength = a;
      break;
    case 'isLength':
      Object.assign(target, { minLength: a, ...(b !== undefined ? { maxLength: b } : {}) });
      break;
    case 'matches':
      if (a instanceof RegExp) target.pattern = a.source;
      break;
    case 'isIn':
      target.enum = a;
      break;
    case 'isEnum':
      target.enum = Object.values(a as object);
      break;
    case 'isArray':
      schema.type = 'array';
      break;
    case 'arrayMinSize':
      schema.minItems = a;
      break;
    case 'arrayMaxSize':
      schema.maxItems = a;
      break;
    case 'arrayUnique':
      schema.uniqueItems = true;
      break;
    default:
      break;
  }
}

/**
 * Documents a DTO from its class-validator rules (the rules that are enforced), so the OpenAPI
 * document's request bodies and query parameters come from the code without a second set of
 * `@ApiProperty` decorators to keep in step. Properties that carry `@ApiProperty` are left as they are.
 * Nested DTOs (`@ValidateNested` + class-transformer's `@Type`) are described recursively.
 */
export function describeValidatedClass(cls: ClassRef): void {
  if (described.has(cls) || (cls as unknown) === Object) return;
  described.add(cls);
  const rules = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as unknown as Meta[];
  if (rules.length === 0) return;
  const documented = new Set<string>(
    ((Reflect.getMetadata(SWAGGER_PROPERTIES, cls.prototype) as string[] | undefined) ?? []).map((p) =>
      p.replace(/^:/, ''),
    ),
  );
  const byProperty = new Map<string, Meta[]>();
  for (const rule of rules)
    byProperty.set(rule.propertyName, [...(byProperty.get(rule.propertyName) ?? []), rule]);

  for (const [property, propertyRules] of byProperty) {
    if (documented.has(property)) continue;
    const schema: Schema = {};
    const items: Schema = {};
    let required = true;
    let nested: ClassRef | undefined;
    for (const rule of propertyRules) {
      if (rule.name === 'isOptional') required = false;
      else if (rule.type === 'nestedValidation') {
        nested = defaultMetadataStorage.findTypeMetadata(cls, property)?.typeFunction() as
          ClassRef | undefined;
      } else applyRule(rule, schema, items);
    }
    const designType = Reflect.getMetadata('design:type', cls.prototype as object, property) as unknown;
    if (designType === Array) schema.type = 'array';
    const options: Schema = { ...schema, required };
    if (schema.type === 'array') {
      delete options.type;
      options.isArray = true;
      if (nested) {
        describeValidatedClass(nested);
        options.type = nested;
      } else Object.assign(options, items, { type: items.type ?? 'string' });
    } else if (nested) {
      describeValidatedClass(nested);
      options.type = nested;
    } else if (options.type === undefined) {
      options.type = designType === Number ? 'number' : designType === Boolean ? 'boolean' : 'string';
    }
    ApiProperty(options as ApiPropertyOptions)(cls.prototype as object, property);
  }
}
