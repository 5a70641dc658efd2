import { STATUS_CODES } from 'node:http';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiBearerAuth, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PROBLEM_SCHEMA, problemResponseSchema } from '../common/decorators/api-problems.decorator';
import { IS_PUBLIC } from '../common/decorators/public.decorator';
import { ROLES } from '../common/decorators/roles.decorator';
import { ERROR_CODES, ErrorCode } from '../common/errors/error-codes';
import { PROBLEM_CONTENT_TYPE } from '../common/http/problem';
import type { AppConfig } from '../config/config';
import { OPERATIONS, pageOf, SCHEMAS } from './api-catalogue';
import { installSwaggerUi } from './swagger-ui';
import { ClassRef, describeValidatedClass } from './validation-schemas';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

type Operation = {
  parameters?: Array<{ in: string }>;
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> }
  >;
  'x-roles'?: string[];
};

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Nest's RequestMethod enum values. */
const REQUEST_METHODS: Record<number, (typeof HTTP_METHODS)[number]> = {
  0: 'get',
  1: 'post',
  2: 'put',
  3: 'delete',
  4: 'patch',
};
const annotated = new WeakSet<object>();

/**
 * Reads every controller handler before the document is generated: non-`@Public()` handlers get the
 * bearer security requirement, `@Roles` handlers an `x-roles` note, and the DTOs of their parameters
 * are described from their class-validator rules.
 */
function annotateHandlers(app: NestFastifyApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as unknown as ClassRef | undefined;
      if (!controller?.prototype) continue;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined)
          continue;
        for (const type of (Reflect.getMetadata('design:paramtypes', proto, name) as unknown[] | undefined) ??
          []) {
          if (typeof type === 'function') describeValidatedClass(type as ClassRef);
        }
        if (annotated.has(handler)) continue;
        annotated.add(handler);
        const isPublic =
          Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller);
        if (!isPublic)
          ApiBearerAuth()(proto, name, Object.getOwnPropertyDescriptor(proto, name) as PropertyDescriptor);
      }
    }
  }
}

function codesOf(response: Operation['responses'][string] | undefined): ErrorCode[] {
  const schema =
    response?.content?.[PROBLEM_CONTENT_TYPE]?.schema ?? response?.content?.['application/json']?.schema;
  const allOf =
    (schema?.allOf as Array<{ properties?: { code?: { enum?: ErrorCode[] } } }> | undefined) ?? [];
  return allOf.flatMap((part) => part.properties?.code?.enum ?? []);
}

/** Adds problem codes to an operation, one `application/problem+json` response per HTTP status. */
function addProblems(op: Operation, codes: ErrorCode[]): void {
  const byStatus = new Map<string, Set<ErrorCode>>();
  for (const code of codes) {
    const status = String(ERROR_CODES[code].status);
    byStatus.set(status, (byStatus.get(status) ?? new Set(codesOf(op.responses[status]))).add(code));
  }
  for (const [status, set] of byStatus) {
    const list = [...set];
    op.responses[status] = {
      description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemResponseSchema(list) } },
    };
  }
}

/** The problems a route can answer because of what it is (CONTRACT section 2), beside its own business problems. */
function commonProblems(path: string, op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = ['INTERNAL_ERROR'];
  const business = path.startsWith('/v1/');
  if (business) codes.push('SERVICE_UNAVAILABLE', 'RATE_LIMITED');
  if (op.security && op.security.length > 0) codes.push('UNAUTHENTICATED');
  if (op['x-roles']) codes.push('FORBIDDEN');
  if (op.requestBody) codes.push('MALFORMED_JSON', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE');
  if (op.parameters?.some((p) => p.in === 'query')) codes.push('VALIDATION_FAILED');
  if (op.parameters?.some((p) => p.in === 'path')) codes.push('NOT_FOUND');
  return codes;
}

/** Fills in what the decorators leave out: problems as problem+json, answer schemas from the catalogue. */
function complete(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    [PROBLEM_SCHEMA]: {
      type: 'object',
      description: 'RFC 9457 problem details',
      required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
      properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        requestId: { type: 'string' },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'message'],
            properties: { field: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
    ...(SCHEMAS as NonNullable<typeof document.components.schemas>),
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      // Responses the decorators declared for error statuses answer problem+json.
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && response.content?.['application/json']) {
          response.content = { [PROBLEM_CONTENT_TYPE]: response.content['application/json'] };
        }
      }
      const entry = OPERATIONS[`${method.toUpperCase()} ${path}`];
      const success = Object.keys(op.responses).find((s) => s.startsWith('2'));
      if (success && !op.responses[success].description)
        op.responses[success].description = STATUS_CODES[Number(success)] ?? 'Success';
      if (entry?.answer && success && !op.responses[success].content) {
        const schema = entry.answer.startsWith('page:')
          ? pageOf(entry.answer.slice(5))
          : { $ref: `#/components/schemas/${entry.answer}` };
        op.responses[success].content = { 'application/json': { schema } };
      }
      addProblems(op, [...commonProblems(path, op), ...(entry?.problems ?? [])]);
    }
  }
  return document;
}

function markRoles(app: NestFastifyApplication, document: OpenAPIObject): void {
  // Roles are read from the handlers (the same metadata the RolesGuard enforces).
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as unknown as ClassRef | undefined;
      if (!controller?.prototype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined)
          continue;
        const roles = (Reflect.getMetadata(ROLES, handler) ?? Reflect.getMetadata(ROLES, controller)) as
          string[] | undefined;
        if (!roles?.length) continue;
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const path = `/${[base, sub]
          .map((p) => p.replace(/^\/+|\/+$/g, ''))
          .filter(Boolean)
          .join('/')}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const method = REQUEST_METHODS[Number(Reflect.getMetadata(METHOD_METADATA, handler))];
        const op = method
          ? (document.paths[path] as Record<string, Operation | undefined> | undefined)?.[method]
          : undefined;
        if (op) op['x-roles'] = roles;
      }
    }
  }
}

/** Builds the OpenAPI 3 document from the application's controllers. */
export function buildOpenApiDocument(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  annotateHandlers(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bulwark API')
      .setDescription(
        'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. Lists are cursor-paginated.',
      )
      .setVersion(config.appVersion)
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  markRoles(app, document);
  return complete(document);
}

/** `/docs` (Swagger UI) and `/docs/openapi.json`, not authenticated (CONTRACT section 3). */
export function setupOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_JSON_PATH,
  });
  installSwaggerUi(app.getHttpAdapter().getInstance(), DOCS_PATH, OPENAPI_JSON_PATH);
}
