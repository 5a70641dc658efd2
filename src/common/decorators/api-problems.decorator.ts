import type { ErrorCode } from '../errors/error-codes';

/** Metadata key of the problem codes a handler documents (read by src/docs/operation-answers.ts). */
export const API_PROBLEMS = 'bulwark:apiProblems';

/**
 * The business problems an operation can answer, for the OpenAPI document (`/docs`):
 *
 * ```ts
 * @Post()
 * @ApiProblems('INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT')
 * create(...) {}
 * ```
 *
 * List only the operation's own outcomes. The problems that follow from what a route is are added
 * by the document builder from the metadata the guards and interceptors enforce (src/docs/operation-answers.ts):
 * 500 on every route; 429, 503 and the fault-injection 500 on `/v1`; 401 unless `@Public()`; 403 with
 * `@Roles`; 400/413/415 on routes that take a body or a query; 404 with a path parameter; the
 * idempotency problems with `@Idempotent()`. Codes are grouped by their HTTP status into one
 * `application/problem+json` response each. Several calls on one handler add up.
 */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const existing = (Reflect.getMetadata(API_PROBLEMS, handler) as ErrorCode[] | undefined) ?? [];
    Reflect.defineMetadata(API_PROBLEMS, [...new Set([...existing, ...codes])], handler);
    return descriptor;
  };
}
