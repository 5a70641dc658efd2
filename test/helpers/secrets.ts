import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import type { TestApp } from './app';

/**
 * "No response ever contains a password, hash or token hash": wraps `t.inject` so that every response
 * of a spec is kept and checked — at once for argon2 hashes, hash-like field names and every password
 * sent in a request so far, and by `assertNoSecretsLeaked()` against every refresh-token hash stored
 * in the database (hex, base64 and base64url).
 */
export interface ScannedApp extends TestApp {
  /** Responses seen so far. */
  responses: Array<{ url: string; body: string; headers: string }>;
  assertNoSecretsLeaked(): Promise<void>;
}

const PASSWORD_KEYS = ['password', 'currentPassword', 'newPassword'];
const ARGON2 = /\$argon2/i;
/** Field names that must never appear in an answer (the OpenAPI document, which describes request bodies, aside). */
const FORBIDDEN_FIELDS = [
  /"password(_?hash)?"\s*:/i,
  /"passwordHash"\s*:/,
  /"token_?hash"\s*:/i,
  /"tokenHash"\s*:/,
];

function passwordsIn(payload: unknown): string[] {
  if (typeof payload === 'string') {
    try {
      return passwordsIn(JSON.parse(payload));
    } catch {
      return [];
    }
  }
  if (typeof payload !== 'object' || payload === null) return [];
  return Object.entries(payload).flatMap(([key, value]) =>
    PASSWORD_KEYS.includes(key) && typeof value === 'string' && value.length >= 6
      ? [value]
      : passwordsIn(value),
  );
}

export function scanResponses(t: TestApp): ScannedApp {
  const scanned = t as ScannedApp;
  const passwords = new Set<string>();
  const responses: ScannedApp['responses'] = [];
  const inject = t.inject.bind(t);
  const check = (url: string, text: string): void => {
    const patterns = / \/docs\b/.test(url) ? [ARGON2] : [ARGON2, ...FORBIDDEN_FIELDS];
    for (const pattern of patterns) {
      if (pattern.test(text)) throw new Error(`response of ${url} matches ${pattern}: ${text.slice(0, 500)}`);
    }
    for (const password of passwords) {
      if (text.includes(password)) throw new Error(`response of ${url} contains a password that was sent`);
    }
  };
  scanned.responses = responses;
  scanned.inject = async (options: InjectOptions): Promise<LightMyRequestResponse> => {
    for (const p of passwordsIn(options.payload)) passwords.add(p);
    const res = await inject(options);
    const url = `${options.method ?? 'GET'} ${options.url as string}`;
    const headers = JSON.stringify(res.headers);
    responses.push({ url, body: res.body, headers });
    check(url, res.body);
    check(url, headers);
    return res;
  };
  scanned.assertNoSecretsLeaked = async () => {
    const rows = (await t.app.get(DataSource).query('SELECT token_hash FROM refresh_tokens')) as Array<{
      token_hash: Buffer;
    }>;
    const hashRows = (await t.app.get(DataSource).query('SELECT password_hash FROM users')) as Array<{
      password_hash: string;
    }>;
    const needles = [
      ...rows.flatMap((r) => [
        r.token_hash.toString('hex'),
        r.token_hash.toString('base64'),
        r.token_hash.toString('base64url'),
      ]),
      ...hashRows.map((r) => r.password_hash),
      ...hashRows.map((r) => r.password_hash.split('$').pop() ?? '').filter((s) => s.length > 16),
    ];
    if (responses.length === 0) throw new Error('no response was scanned');
    for (const { url, body, headers } of responses) {
      for (const needle of needles) {
        if (body.includes(needle) || headers.includes(needle))
          throw new Error(`response of ${url} contains a stored hash`);
      }
    }
  };
  return scanned;
}
