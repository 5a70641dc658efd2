import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonLimitProblem, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-limits';

/**
 * A body that cannot be used is recorded here by the body parser instead of failing the request at
 * once, so that authentication still runs first (docs/api.md: "Authentication is judged before
 * the body"); the last global guard (MalformedBodyGuard, after authentication, roles and rate
 * limits) answers 400 `MALFORMED_JSON` with the reason.
 */
export const MALFORMED_BODY = Symbol('malformed-body');
export const TOO_DEEP_BODY = Symbol('too-deep-body');
export const TOO_LARGE_BODY = Symbol('too-many-values-body');

const DETAILS = new Map<unknown, string>([
  [MALFORMED_BODY, 'The request body is not valid JSON.'],
  [TOO_DEEP_BODY, `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`],
  [
    TOO_LARGE_BODY,
    `The request body holds more than ${MAX_JSON_VALUES} values (array elements and object members).`,
  ],
]);

/** Why the body was refused by the parser, or undefined when it was parsed. */
export function malformedBodyDetail(request: FastifyRequest): string | undefined {
  return DETAILS.get(request.body);
}

/**
 * `application/json` bodies (within Fastify's size limit): the nesting depth and the number of
 * values are checked on the text before anything is built (src/common/http/json-limits.ts), then
 * `JSON.parse`. Fastify's default parser (secure-json-parse) is not
 * used: it refuses `__proto__` and `constructor.prototype` keys as malformed JSON, while they are
 * unknown properties like any other and answer as such (the bounded validation refuses every key a
 * DTO does not declare before class-transformer copies anything: src/common/pipes/input-shape.ts).
 * `JSON.parse` itself defines such keys as own data properties and never touches a prototype.
 */
export function installLenientJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, raw, done) => {
    // A byte-order mark is no part of the JSON text (RFC 8259 §8.1: parsers may ignore it).
    const text = (raw as string).charCodeAt(0) === 0xfeff ? (raw as string).slice(1) : (raw as string);
    const limit = jsonLimitProblem(text);
    if (limit !== undefined) {
      done(null, limit === 'too-deep' ? TOO_DEEP_BODY : TOO_LARGE_BODY);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(null, MALFORMED_BODY);
    }
  });
}
