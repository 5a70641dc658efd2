import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Malformed JSON is recorded here by the body parser instead of failing the request at once, so that
 * authentication still runs first (CONTRACT: "Authentication is checked before the body"); the errors
 * interceptor, which runs after the guards, answers 400 `MALFORMED_JSON`.
 */
export const MALFORMED_BODY = Symbol('malformed-body');

export function hasMalformedBody(request: FastifyRequest): boolean {
  return request.body === MALFORMED_BODY;
}

export function installLenientJsonParser(fastify: FastifyInstance): void {
  // Keeps Fastify's own parser (prototype-poisoning protection, size limit), only defers its failure.
  const strict = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    strict(request, body as string, (error, parsed) => {
      if (error) done(null, MALFORMED_BODY);
      else done(null, parsed);
    });
  });
}
