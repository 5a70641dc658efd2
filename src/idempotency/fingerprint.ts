import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same
 * request. Array order is kept (it is meaningful). `undefined` members are dropped, as JSON does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export interface FingerprintInput {
  method: string;
  /** The route template, e.g. `/v1/orders/:id/cancel`. */
  route: string;
  /** The concrete path, e.g. `/v1/orders/5f…/cancel` (no query string). */
  path: string;
  body: unknown;
}

/** SHA-256 (hex) of method, route template, concrete path and canonical body: what "the same request" means. */
export function requestFingerprint(input: FingerprintInput): string {
  return createHash('sha256')
    .update(
      `${input.method.toUpperCase()}\n${input.route}\n${input.path}\n${canonicalJson(input.body ?? null)}`,
    )
    .digest('hex');
}
