import type { FieldError } from '../errors/app-error';

/**
 * The shape of a request DTO, recorded by the field decorators (src/common/decorators/field.decorator.ts)
 * and checked before class-transformer and class-validator see a value (issue 14, finding 1). Those
 * two do work in proportion to what was *sent*: every element of a 33,000-item array was built and
 * validated, every one of 14,000 unknown keys became an error (10 MB of answer, seconds of blocked
 * event loop). The check below does work in proportion to what is *valid*: an array's length is
 * judged before its elements, an element is looked at only when the array is within its limit, a
 * container where a scalar belongs is refused without being entered, and unknown keys are counted,
 * not each turned into an error. Only a value of the right shape, bounded by the DTO's own limits,
 * goes on to the full validation.
 */
export type ScalarType = 'string' | 'integer' | 'boolean';

interface ScalarShape {
  kind: 'scalar';
  type: ScalarType;
}

export type FieldShape = ScalarShape | { kind: 'list'; maxItems: number; item: ScalarShape | DtoItem };

interface DtoItem {
  kind: 'object';
  /** The nested DTO class, given lazily (it may be declared below the class that uses it). */
  dto: () => DtoClass;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class is a DTO here
type DtoClass = Function;

/** At most this many field errors are listed in a problem; the rest are counted. */
export const MAX_REPORTED_ERRORS = 20;
/** Longest property name or path quoted back in an error: a key can be as long as the body. */
const MAX_QUOTED_NAME = 64;

const SHAPES = new WeakMap<object, Map<string, FieldShape>>();

/** Records a declared field of a DTO class (called by each field decorator). */
export function recordField(dto: DtoClass, property: string, shape: FieldShape): void {
  let fields = SHAPES.get(dto);
  if (!fields) SHAPES.set(dto, (fields = new Map()));
  fields.set(property, shape);
}

/** Every declared field of the class and of the classes it extends, or undefined for a class with none. */
export function shapeOf(dto: DtoClass): ReadonlyMap<string, FieldShape> | undefined {
  const chain: DtoClass[] = [];
  for (
    let c: unknown = dto;
    typeof c === 'function' && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  )
    chain.unshift(c as DtoClass);
  const merged = new Map<string, FieldShape>();
  for (const c of chain) for (const [name, shape] of SHAPES.get(c) ?? []) merged.set(name, shape);
  return merged.size > 0 ? merged : undefined;
}

/** A property name fit to quote: bounded, well-formed, without control characters. */
export function quotable(name: string): string {
  const short = name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME)}…` : name;
  return short.toWellFormed().replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SCALAR_MESSAGES: Record<ScalarType, string> = {
  string: 'must be a string',
  integer: 'must be an integer number',
  boolean: 'must be a boolean value',
};

/** The errors found, the first `MAX_REPORTED_ERRORS` of them listed. */
export class ShapeErrors {
  readonly listed: FieldError[] = [];
  total = 0;

  add(field: string, message: string): void {
    this.total += 1;
    if (this.listed.length < MAX_REPORTED_ERRORS) this.listed.push({ field, message });
  }

  /** Counts `count` more errors without listing them. */
  count(count: number): void {
    this.total += count;
  }
}

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/**
 * Checks `value` against the declared shape of `dto`. `path` names where the value is (`items.3`),
 * empty for the whole body or query.
 */
export function checkShape(
  value: unknown,
  fields: ReadonlyMap<string, FieldShape>,
  errors: ShapeErrors,
  path = '',
): void {
  if (!isObject(value)) {
    errors.add(path || 'body', `${path || 'the body'} must be a JSON object`);
    return;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i];
    // A Map, not `key in …`: `constructor`, `toString` or `__proto__` are names like any other here.
    const shape = fields.get(key);
    if (shape === undefined) {
      if (errors.listed.length >= MAX_REPORTED_ERRORS) {
        // Enough is listed: the rest of this object's keys are only counted, none is looked at.
        errors.count(keys.slice(i).filter((k) => !fields.has(k)).length);
        return;
      }
      const name = quotable(key);
      errors.add(join(path, name), `property ${name} should not exist`);
      continue;
    }
    checkField(value[key], shape, errors, join(path, key));
  }
}

function checkField(value: unknown, shape: FieldShape, errors: ShapeErrors, path: string): void {
  if (value === undefined || value === null) return; // the full validation says what it should be
  if (shape.kind === 'scalar') {
    // A container where a scalar belongs is refused unopened.
    if (typeof value === 'object') errors.add(path, `${path} ${SCALAR_MESSAGES[shape.type]}`);
    return;
  }
  if (!Array.isArray(value)) {
    if (typeof value === 'object') errors.add(path, `${path} must be an array`);
    return;
  }
  if (value.length > shape.maxItems) {
    // Judged before any element: none of them is looked at.
    errors.add(path, `${path} must contain no more than ${shape.maxItems} elements`);
    return;
  }
  const { item } = shape;
  for (let i = 0; i < value.length; i += 1) {
    const element: unknown = value[i];
    const at = `${path}.${i}`;
    if (item.kind === 'object') {
      if (isObject(element)) checkShape(element, shapeOf(item.dto()) ?? new Map(), errors, at);
      else errors.add(at, `each value in ${path} must be a JSON object`);
    } else if (typeof element === 'object' && element !== null) {
      errors.add(at, `each value in ${path} ${SCALAR_MESSAGES[item.type]}`);
    }
  }
}
