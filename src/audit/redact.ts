/**
 * Keys whose values are secrets: passwords, hashes, tokens, keys. The audit writer drops them from
 * `changes` wherever they are nested, as a second line of defence behind the services, which never
 * put them there. A boolean under such a key (`passwordChanged: true`) carries no secret and stays.
 */
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|hash|api[-_]?key|private[-_]?key|credential|authorization|cookie|signature/i;

const ARGON2_HASH = /^\$argon2(id|i|d)\$/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 16) return '[depth limit]';
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && ARGON2_HASH.test(value)) return '[redacted]';
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (isSecretKey(key) && typeof inner !== 'boolean') continue;
    if (inner === undefined) continue;
    out[key] = redactSecrets(inner, depth + 1);
  }
  return out;
}
