import fc from 'fast-check';
import type { OpenApiDocument } from '../openapi-contract';
import { Fixtures, Schema, validValue } from './values';

/** Who sends a request: the fuzz's admin, its user, nobody, or a forged token. */
export type Caller = 'admin' | 'user' | 'none' | 'forged';

/** One request of the run, fully decided by the seed (ids come from the fixtures). */
export interface FuzzRequest {
  operationId: string;
  method: string;
  url: string;
  caller: Caller;
  headers: Record<string, string>;
  /** The body as sent, when there is one. */
  body?: string;
  /** What was done to a valid request (`valid` when nothing). */
  mutation: string;
}

interface Parameter {
  name: string;
  in: string;
  schema?: Schema;
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  secured: boolean;
  adminOnly: boolean;
  query: Parameter[];
  hasPathId: boolean;
  body?: Schema;
  idempotent: boolean;
}

/** The operations of the served document, as the generator needs them. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => {
      const parameters = (op.parameters ?? []) as Array<Parameter | { $ref: string }>;
      return {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        secured: (op.security ?? []).length > 0,
        adminOnly: ((op as { 'x-roles'?: string[] })['x-roles'] ?? []).includes('admin'),
        query: parameters.filter((p): p is Parameter => !('$ref' in p) && p.in === 'query'),
        hasPathId: path.includes('{'),
        body: op.requestBody?.content['application/json']?.schema as Schema | undefined,
        idempotent: parameters.some((p) => '$ref' in p && p.$ref.endsWith('/IdempotencyKey')),
      };
    }),
  );
}

/** Names that live on every object's prototype: unknown properties like any other. */
const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__proto__',
  '__defineGetter__',
  '__lookupSetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
];
const OTHER_TYPES: unknown[] = [0, -1.5, true, false, 'text', '', [], {}, [1, 'a'], { a: 1 }];
const CONTROL = ['\u0001', '\u0008', '\u001b', '\u007f', '\u0085', '\u2028', '\ufffe', '\uffff'];
const SURROGATES = ['\ud800', '\udfff', 'x\udbff', '\udc00y', '\ud83d'];
/** Numbers at the edges of what JSON, JavaScript, PostgreSQL's int and the DTOs hold, as JSON text. */
const EDGE_NUMBERS = [
  '-0',
  '0.5',
  '1e-7',
  '1e400',
  '-1e400',
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '1e21',
  '100000000000000000000000',
];
const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/problem+json',
  'application/json; charset=utf-16',
  'application/jsonx',
];
const PATH_TEXT = [
  'not-a-uuid',
  'null',
  'undefined',
  '0',
  '-1',
  '%00',
  '%01',
  'a%20b',
  '%E2%80%8B',
  '00000000-0000-0000-0000-000000000000',
  'Z'.repeat(100),
  // Refused before Nest (issue 14, finding 8): over the router's 100-character limit, bad escapes.
  'Z'.repeat(101),
  'x'.repeat(400),
  '%zz',
  '%E0%A4%A',
  'a%',
];
const QUERY_TEXT = [
  '',
  'abc',
  '-1',
  '0',
  '1e3',
  '101',
  '1.5',
  '%00',
  '%01',
  '%ED%A0%80',
  '%FF',
  'a'.repeat(300),
  '%E2%80%AE',
  'null',
];

/** A marker replaced in the JSON text by a raw number (JSON.stringify cannot write `1e400`). */
const RAW = (text: string) => `\u0000raw:${text}\u0000`;
const toJson = (value: unknown): string =>
  JSON.stringify(value).replace(/"\\u0000raw:([^\\]*)\\u0000"/g, (_m, raw: string) => raw);

type Json = Record<string, unknown>;

/** Paths (`name`, `items.0.quantity`) of the fields of a body, the first item's included. */
function slotsOf(body: unknown): string[][] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  return Object.entries(body).flatMap(([key, value]) =>
    Array.isArray(value) && typeof value[0] === 'object' && value[0] !== null
      ? [[key], ...Object.keys(value[0] as object).map((inner) => [key, '0', inner])]
      : [[key]],
  );
}

function setAt(body: Json, path: string[], value: unknown): void {
  let target: Record<string, unknown> = body;
  for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
}

const nested = (depth: number, inner: unknown = 1): unknown =>
  depth === 0 ? inner : depth % 2 === 0 ? [nested(depth - 1, inner)] : { a: nested(depth - 1, inner) };

/** What a mutation needs from the seed: which one, where, how big. */
interface MutationDraw {
  kind: string;
  slot: number;
  pick: number;
  size: number;
}

/** The body mutations: each turns a valid body (a fresh copy) into text, or says it does not apply. */
const BODY_MUTATIONS: Record<
  string,
  (body: Json, at: string[] | undefined, d: MutationDraw) => string | undefined
> = {
  'wrong type': (body, at, d) =>
    at && (setAt(body, at, OTHER_TYPES[d.pick % OTHER_TYPES.length]), toJson(body)),
  null: (body, at) => at && (setAt(body, at, null), toJson(body)),
  'missing field': (body, at) => at && (setAt(body, at, undefined), toJson(body)),
  'prototype name': (body, _at, d) =>
    `${toJson(body).slice(0, -1)}${Object.keys(body).length ? ',' : ''}"${PROTOTYPE_NAMES[d.pick % PROTOTYPE_NAMES.length]}":{"prototype":{"polluted":1}}}`,
  'unknown field': (body, _at, d) => toJson({ ...body, [`extra${d.pick}`]: d.pick }),
  NUL: (body, at, d) => at && (setAt(body, at, d.pick % 2 ? '\u0000' : `a\u0000${d.pick}`), toJson(body)),
  'control characters': (body, at, d) =>
    at && (setAt(body, at, `a${CONTROL[d.pick % CONTROL.length]}b`), toJson(body)),
  'lone surrogate': (body, at, d) =>
    at && (setAt(body, at, `a${SURROGATES[d.pick % SURROGATES.length]}`), toJson(body)),
  'huge string': (body, at, d) =>
    at && (setAt(body, at, (d.pick % 3 ? 'a' : 'é').repeat(1000 + (d.size % 60_000))), toJson(body)),
  'deep nesting': (body, at, d) => at && (setAt(body, at, nested(2 + (d.size % 45))), toJson(body)),
  'deep body': (_body, _at, d) => '['.repeat(100 + (d.size % 10_000)) + ']'.repeat(100 + (d.size % 10_000)),
  'huge array': (body, at, d) =>
    at &&
    (setAt(
      body,
      at,
      // Half under the parse limit of 1,000 values (validation judges them), half far over it.
      Array.from({ length: d.size % 2 ? 51 + (d.size % 940) : 1000 + (d.size % 32_000) }, () =>
        d.pick % 2 ? {} : 1,
      ),
    ),
    toJson(body)),
  'many keys': (body, _at, d) =>
    toJson({
      ...body,
      ...Object.fromEntries(
        Array.from({ length: d.size % 2 ? 21 + (d.size % 970) : 1000 + (d.size % 11_000) }, (_, i) => [
          i.toString(36),
          0,
        ]),
      ),
    }),
  'edge number': (body, at, d) =>
    at && (setAt(body, at, RAW(EDGE_NUMBERS[d.pick % EDGE_NUMBERS.length])), toJson(body)),
  'not an object': (body, _at, d) => toJson([null, [], 'text', 7, true, [body]][d.pick % 6]),
  'malformed JSON': (body, _at, d) =>
    [toJson(body).slice(0, -1), `${toJson(body).slice(0, -1)},}`, "{'a':1}", '', '{"a":1}{}', 'nul'][
      d.pick % 6
    ],
};

const HEADER_MUTATIONS: Record<string, (d: MutationDraw) => Record<string, string>> = {
  'odd Idempotency-Key': (d) => ({
    'idempotency-key': ['', 'k'.repeat(256), 'ÿ\u00e9', ' ', 'a,b'][d.pick % 5],
  }),
  'odd If-Match': (d) => ({ 'if-match': ['W/"1"', '"x"', '*', '"99999999999"', '', '"1", "2"'][d.pick % 6] }),
  'odd X-Request-Id': (d) => ({ 'x-request-id': ['', 'x'.repeat(129), 'a b', 'ÿ', '../..'][d.pick % 5] }),
};

/** A request for `op`: valid, or valid then mutated in one way, as the seed decides. */
export function requestsFor(
  op: Operation,
  components: Record<string, Schema>,
  fixtures: Fixtures,
): fc.Arbitrary<FuzzRequest> {
  const body = op.body ? validValue(op.body, components, fixtures) : fc.constant(undefined);
  const query = fc.record(
    Object.fromEntries(
      op.query.map((p) => [p.name, validValue(p.schema ?? {}, components, fixtures, p.name)]),
    ),
    { requiredKeys: [] },
  );
  const pathId = fc.constantFrom(...idsFor(op, fixtures));
  const kinds = [
    ...Array<string>(6).fill('valid'),
    ...(op.body ? Object.keys(BODY_MUTATIONS) : []),
    ...(op.body ? ['content type', 'content type'] : []),
    ...(op.query.length > 0 ? ['odd query', 'odd query', 'unknown query'] : []),
    ...(op.hasPathId ? ['odd path id', 'odd path id'] : []),
    ...(op.secured ? ['caller'] : []),
    ...Object.keys(HEADER_MUTATIONS),
  ];
  const draw = fc.record({
    kind: fc.constantFrom(...kinds),
    slot: fc.nat(),
    pick: fc.nat(),
    size: fc.nat(),
  });
  return fc.tuple(body, query, pathId, draw).map(([validBody, validQuery, id, d]) => {
    const request: FuzzRequest = {
      operationId: op.operationId,
      method: op.method,
      url: '',
      caller: op.secured ? (op.adminOnly || d.pick % 4 !== 0 ? 'admin' : 'user') : 'none',
      headers: {},
      mutation: d.kind,
    };
    let pathValue = id;
    let queryText = new URLSearchParams(
      Object.entries(validQuery as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    if (validBody !== undefined) {
      request.body = toJson(validBody);
      request.headers['content-type'] = 'application/json';
    }
    const mutate = BODY_MUTATIONS[d.kind];
    if (mutate) {
      const copy = structuredClone(validBody) as Json;
      const slots = slotsOf(copy);
      const text = mutate(copy, slots.length ? slots[d.slot % slots.length] : undefined, d);
      if (text === undefined) request.mutation = 'valid';
      else request.body = text;
    } else if (d.kind === 'content type') {
      request.headers['content-type'] = CONTENT_TYPES[d.pick % CONTENT_TYPES.length];
    } else if (d.kind === 'odd query') {
      const name = op.query[d.slot % op.query.length].name;
      const value = QUERY_TEXT[d.pick % QUERY_TEXT.length];
      queryText = `${name}=${value}${d.size % 3 === 0 ? `&${name}=${value}` : ''}`;
    } else if (d.kind === 'unknown query') {
      queryText = `${queryText}&${PROTOTYPE_NAMES[d.pick % PROTOTYPE_NAMES.length]}=1`;
    } else if (d.kind === 'odd path id') {
      pathValue = PATH_TEXT[d.pick % PATH_TEXT.length];
    } else if (d.kind === 'caller') {
      request.caller = (['none', 'forged', 'user'] as const)[d.pick % 3];
    } else if (HEADER_MUTATIONS[d.kind]) {
      Object.assign(request.headers, HEADER_MUTATIONS[d.kind](d));
    }
    if (op.idempotent && d.kind === 'valid' && d.pick % 2 === 0)
      request.headers['idempotency-key'] = `fuzz-${d.size % 50}`;
    const path = op.path.replace(/\{[^}]+\}/g, pathValue);
    request.url = queryText ? `${path}?${queryText.replace(/^&/, '')}` : path;
    return request;
  });
}

/** Real ids for the path of `op` (and a well-formed id that names nothing). */
function idsFor(op: Operation, fixtures: Fixtures): string[] {
  const none = ['00000000-0000-4000-8000-000000000000'];
  if (!op.hasPathId) return none;
  if (op.path.startsWith('/v1/products')) return [...fixtures.productIds, ...none];
  if (op.path.startsWith('/v1/orders')) return [...fixtures.orderIds, ...none];
  if (op.path.startsWith('/v1/users')) return [...fixtures.victimIds, ...none];
  if (op.path.startsWith('/v1/webhooks/deliveries')) return none;
  if (op.path.endsWith('/deliveries')) return [fixtures.keptWebhookId, ...none];
  if (op.path.startsWith('/v1/webhooks')) return [...fixtures.webhookIds, ...none];
  return none;
}
