import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app';
import type { OpenApiDocument } from './openapi-contract';

/** Fastify's body limit (src/app.factory.ts): the bodies below stay just under it. */
export const BODY_LIMIT = 100 * 1024;
/** The bound on any answer to a body under the limit (issue 14, finding 1). */
export const MAX_ANSWER_BYTES = 16 * 1024;

const JSON_TYPE = { 'content-type': 'application/json' };

/** `{"items":[{},{},…]}`: `count` items, by default as many as fit under the limit (33,000 in the finding). */
export function manyItems(count = Math.floor((BODY_LIMIT - 20) / 3)): string {
  return `{"items":[${Array.from({ length: count }, () => '{}').join(',')}]}`;
}

/**
 * An object with `count` distinct short unknown keys, by default as many as fit under the limit
 * (~14,000 in the finding).
 */
export function manyUnknownKeys(count = Infinity): { text: string; keys: number } {
  const keys: string[] = [];
  let size = 2;
  for (let i = 0; size < BODY_LIMIT - 20 && i < count; i += 1) {
    const entry = `"${i.toString(36)}":0`;
    keys.push(entry);
    size += entry.length + 1;
  }
  return { text: `{${keys.join(',')}}`, keys: keys.length };
}

/** 10,000 levels of `[` (20 kB): class-transformer's recursion overflowed the stack on it. */
export function deepArrays(levels = 10_000): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

/** `{"items":` + 3,000-deep arrays `}`. */
export function deepItems(levels = 3000): string {
  return `{"items":${deepArrays(levels)}}`;
}

export interface BodyOperation {
  operationId: string;
  method: string;
  /** A concrete URL (path parameters filled with a well-formed id). */
  url: string;
  public: boolean;
}

/** Every operation of the served document that takes a JSON body. */
export function bodyOperations(doc: OpenApiDocument, id: string): BodyOperation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => op.requestBody !== undefined)
      .map(([method, op]) => ({
        operationId: op.operationId,
        method: method.toUpperCase(),
        url: path.replace(/\{[^}]+\}/g, id),
        public: (op.security ?? []).length === 0,
      })),
  );
}

/** Sends `text` as a JSON body. */
export function sendJson(
  t: TestApp,
  options: Omit<InjectOptions, 'payload'> & { text: string },
): Promise<LightMyRequestResponse> {
  const { text, headers, ...rest } = options;
  return t.inject({ ...rest, headers: { ...JSON_TYPE, ...headers }, payload: text });
}
