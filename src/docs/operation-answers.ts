import { STATUS_CODES } from 'node:http';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger';
import { getSchemaPath } from '@nestjs/swagger';
import { API_PROBLEMS } from '../common/decorators/api-problems.decorator';
import { OPERATION_ID } from '../common/decorators/operation.decorator';
import { IS_PUBLIC } from '../common/decorators/public.decorator';
import { ROLES } from '../common/decorators/roles.decorator';
import { ERROR_CODES, ErrorCode } from '../common/errors/error-codes';
import {
  REQUEST_ID_HEADER_DOC,
  REQUEST_ID_PARAMETER,
  RETRY_AFTER_HEADER_DOC,
} from '../common/http/documented-headers';
import { PROBLEM_CONTENT_TYPE } from '../common/http/problem';
import { ProblemView } from '../common/http/problem.view';
import { isFaultTarget } from '../faults/fault-injection';
import { IDEMPOTENT_OPTIONS } from '../idempotency/idempotency.interceptor';
import { KEPT_PROBLEM_STATUSES } from '../idempotency/idempotency.participant';
import { IDEMPOTENCY_KEY_PARAMETER, REPLAYED_HEADER_DOC } from '../idempotency/stored-response';

/** The security scheme of access tokens (`Authorization: Bearer <accessToken>`). */
export const BEARER = 'bearer';

/** What a handler enforces, read from the same metadata the guards and interceptors read. */
export interface HandlerFacts {
  isPublic: boolean;
  roles: string[];
  idempotent: boolean;
  /** Its own problems (`@ApiProblems`). */
  problems: ErrorCode[];
}

/** Every handler that has an `@Operation(...)`, by operation id. */
export function handlerFacts(app: NestFastifyApplication): Map<string, HandlerFacts> {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const facts = new Map<string, HandlerFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as (...args: unknown[]) => unknown;
        const operationId = Reflect.getMetadata(OPERATION_ID, handler) as string | undefined;
        if (!operationId) continue;
        const targets = [handler, controller];
        facts.set(operationId, {
          isPublic: reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
          roles: reflector.getAllAndOverride<string[] | undefined>(ROLES, targets) ?? [],
          idempotent: Reflect.getMetadata(IDEMPOTENT_OPTIONS, handler) !== undefined,
          problems: (Reflect.getMetadata(API_PROBLEMS, handler) as ErrorCode[] | undefined) ?? [],
        });
      }
    }
  }
  return facts;
}

/** Methods whose body Fastify reads (and may refuse before validation: bad JSON, too large, unknown type). */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The problems a route can answer because of what it is, beside its own (`@ApiProblems`):
 * the global guards (authentication, roles, rate limits), the body parser, the validation pipe,
 * the database, the fault injection and the exception filter, each where it applies.
 */
function sharedProblems(path: string, method: string, op: OperationObject, facts: HandlerFacts): ErrorCode[] {
  const codes: ErrorCode[] = ['INTERNAL_ERROR'];
  // Business routes: rate limited, backed by the database (unavailable 503; a value it refuses 400
  // BAD_REQUEST, src/common/errors/database-errors.ts), and the target of fault injection.
  if (isFaultTarget(path)) codes.push('RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'BAD_REQUEST', 'FAULT_INJECTED');
  if (!facts.isPublic) codes.push('UNAUTHENTICATED');
  if (facts.roles.length > 0) codes.push('FORBIDDEN');
  if (BODY_METHODS.has(method))
    codes.push('MALFORMED_JSON', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  const parameters = (op.parameters ?? []) as ParameterObject[];
  if (op.requestBody || parameters.some((p) => p.in === 'query')) codes.push('VALIDATION_FAILED');
  // A path parameter over the router's length limit is refused before Nest (src/common/http/early-errors.ts).
  if (parameters.some((p) => p.in === 'path')) codes.push('NOT_FOUND', 'URI_TOO_LONG');
  if (facts.idempotent) codes.push('VALIDATION_FAILED', 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED');
  return codes;
}

/** The problem schema restricted to `codes` (all of one HTTP status). */
function problemSchema(codes: readonly ErrorCode[]): Record<string, unknown> {
  return {
    allOf: [
      { $ref: getSchemaPath(ProblemView) },
      { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
    ],
  };
}

const ref = (kind: 'headers' | 'parameters', name: string): ReferenceObject => ({
  $ref: `#/components/${kind}/${name}`,
});

const HEADER_COMPONENTS: Record<string, HeaderObject> = {
  RequestId: REQUEST_ID_HEADER_DOC,
  RetryAfter: RETRY_AFTER_HEADER_DOC,
  IdempotentReplayed: REPLAYED_HEADER_DOC,
};
const PARAMETER_COMPONENTS: Record<string, ParameterObject> = {
  RequestId: REQUEST_ID_PARAMETER,
  IdempotencyKey: IDEMPOTENCY_KEY_PARAMETER,
};

/** Problems answered with `Retry-After` (src/common/errors/app-error.ts, the throttler guard, the idempotency participant). */
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set([
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'IDEMPOTENCY_IN_PROGRESS',
]);

/**
 * The shared headers of one answer, beside those its handler documents (Location, ETag): the request
 * id always; `Retry-After` with the problems that send it (required when every code of the status
 * does); `Idempotent-Replayed` on the answers an idempotent operation keeps and replays.
 */
function answerHeaders(
  status: number,
  codes: ErrorCode[],
  facts: HandlerFacts,
): Record<string, HeaderObject | ReferenceObject> {
  const headers: Record<string, HeaderObject | ReferenceObject> = {
    'X-Request-Id': ref('headers', 'RequestId'),
  };
  const retrying = codes.filter((code) => RETRY_AFTER_CODES.has(code));
  if (retrying.length > 0 && retrying.length === codes.length)
    headers['Retry-After'] = ref('headers', 'RetryAfter');
  else if (retrying.length > 0)
    headers['Retry-After'] = {
      ...RETRY_AFTER_HEADER_DOC,
      required: false,
      description: `With ${retrying.join(', ')}`,
    };
  if (facts.idempotent && (status < 300 || KEPT_PROBLEM_STATUSES.includes(status)))
    headers['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
  return headers;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Completes the operations `SwaggerModule` generated: security, the shared headers, and every
 * problem each operation can answer as `application/problem+json`, one response per status.
 * A route without `@Operation(...)` has no stable id and cannot be completed: that is an error.
 */
export function completeOperations(document: OpenAPIObject, facts: Map<string, HandlerFacts>): void {
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, ...HEADER_COMPONENTS },
    parameters: { ...document.components?.parameters, ...PARAMETER_COMPONENTS },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const own = op.operationId ? facts.get(op.operationId) : undefined;
      if (!own) throw new Error(`${method.toUpperCase()} ${path} has no @Operation(id, summary)`);
      op.security = own.isPublic ? [] : [{ [BEARER]: [] }];
      if (own.roles.length > 0) Object.assign(op, { 'x-roles': own.roles });
      op.parameters = [
        ...(op.parameters ?? []),
        ref('parameters', 'RequestId'),
        ...(own.idempotent ? [ref('parameters', 'IdempotencyKey')] : []),
      ];
      const problems = addProblems(op, [...sharedProblems(path, method, op, own), ...own.problems]);
      for (const [status, response] of Object.entries(op.responses) as Array<[string, ResponseObject]>) {
        response.description ||= STATUS_CODES[Number(status)] ?? status;
        const headers = answerHeaders(Number(status), problems.get(Number(status)) ?? [], own);
        response.headers = { ...response.headers, ...headers };
      }
    }
  }
}

/** Adds one problem response per status; answers the codes by status. */
function addProblems(op: OperationObject, codes: ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  // In the order of src/common/errors/error-codes.ts, so the document is stable.
  const wanted = new Set(codes);
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    if (!wanted.has(code)) continue;
    const { status } = ERROR_CODES[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const answered = new Map<number, ErrorCode[]>();
  for (const [status, set] of byStatus) {
    if (op.responses[status]) throw new Error(`${op.operationId}: ${status} is documented twice`);
    const list = [...set];
    op.responses[status] = {
      description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema(list) } },
    };
    answered.set(status, list);
  }
  return answered;
}
