import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '../errors/error-codes';

/** Name of the RFC 9457 problem schema in the OpenAPI document (src/docs/openapi.ts defines it). */
export const PROBLEM_SCHEMA = 'Problem';

/** The problem schema restricted to the given codes (all of one HTTP status). */
export function problemResponseSchema(codes: readonly ErrorCode[]): Record<string, unknown> {
  return {
    allOf: [
      { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` },
      { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
    ],
  };
}

/**
 * Documents the business problems a route can answer, in the OpenAPI document (`/docs`):
 *
 * ```ts
 * @Post()
 * @ApiProblems('INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT', 'IDEMPOTENCY_KEY_REUSED')
 * create(...) {}
 * ```
 *
 * Codes are grouped by their HTTP status (src/common/errors/error-codes.ts), one response per status,
 * answered as `application/problem+json`. List only the route's own outcomes: the problems every
 * route shares are added by the document builder (500 INTERNAL_ERROR, 503 SERVICE_UNAVAILABLE,
 * 429 RATE_LIMITED; 401 UNAUTHENTICATED unless `@Public()`; 403 FORBIDDEN with `@Roles`;
 * 400 MALFORMED_JSON / VALIDATION_FAILED with a body or query; 404 NOT_FOUND with a path parameter).
 * Usable on a method or a controller class; put all codes of one status in one call per target.
 */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}`).join('; '),
        schema: problemResponseSchema(list),
      }),
    ),
  );
}
