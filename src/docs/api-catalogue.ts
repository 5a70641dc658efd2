import type { ErrorCode } from '../common/errors/error-codes';

/**
 * What the OpenAPI document cannot read from the code by itself: the answer schemas of routes whose
 * handlers return TypeScript interfaces (no runtime type), and each route's business problems
 * (CONTRACT section 2). Paths, methods, parameters, request bodies, success statuses, security and
 * the problems every route shares are generated from the controllers (src/docs/openapi.ts).
 * `@ApiProblems(...)` / `@ApiOkResponse(...)` on a handler take precedence over this table.
 *
 * test/operability/openapi.e2e-spec.ts fails when a registered /v1 route has no entry here, so a new
 * route cannot ship undocumented.
 */
const ts = { type: 'string', format: 'date-time' };
const uuid = { type: 'string', format: 'uuid' };
const int = { type: 'integer' };

export const SCHEMAS: Record<string, Record<string, unknown>> = {
  User: {
    type: 'object',
    required: ['id', 'email', 'name', 'role', 'disabled', 'createdAt', 'updatedAt'],
    properties: {
      id: uuid,
      email: { type: 'string', format: 'email' },
      name: { type: 'string' },
      role: { type: 'string', enum: ['user', 'admin'] },
      disabled: { type: 'boolean' },
      createdAt: ts,
      updatedAt: ts,
    },
  },
  TokenPair: {
    type: 'object',
    required: ['accessToken', 'refreshToken', 'tokenType', 'expiresIn'],
    properties: {
      accessToken: { type: 'string' },
      refreshToken: { type: 'string' },
      tokenType: { type: 'string', enum: ['Bearer'] },
      expiresIn: { ...int, description: 'seconds' },
    },
  },
  Product: {
    type: 'object',
    required: ['id', 'sku', 'name', 'priceCents', 'stock', 'version', 'createdAt', 'updatedAt'],
    properties: {
      id: uuid,
      sku: { type: 'string' },
      name: { type: 'string' },
      priceCents: int,
      stock: int,
      version: int,
      createdAt: ts,
      updatedAt: ts,
    },
  },
  Order: {
    type: 'object',
    required: ['id', 'userId', 'status', 'items', 'totalCents', 'version', 'createdAt', 'updatedAt'],
    properties: {
      id: uuid,
      userId: uuid,
      status: { type: 'string', enum: ['confirmed', 'cancelled'] },
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['productId', 'quantity', 'unitPriceCents'],
          properties: { productId: uuid, quantity: int, unitPriceCents: int },
        },
      },
      totalCents: int,
      version: int,
      createdAt: ts,
      updatedAt: ts,
    },
  },
  AuditEntry: {
    type: 'object',
    required: ['id', 'at', 'actorId', 'action', 'entity', 'entityId', 'requestId', 'changes'],
    properties: {
      id: uuid,
      at: ts,
      actorId: { ...uuid, nullable: true },
      action: { type: 'string', example: 'order.created' },
      entity: { type: 'string' },
      entityId: { type: 'string', nullable: true },
      requestId: { type: 'string' },
      changes: { type: 'object', additionalProperties: true },
    },
  },
  Webhook: {
    type: 'object',
    required: ['id', 'url', 'events'],
    properties: {
      id: uuid,
      url: { type: 'string', format: 'uri' },
      events: { type: 'array', items: { type: 'string', enum: ['order.created', 'order.cancelled'] } },
      createdAt: ts,
    },
    additionalProperties: true,
  },
  WebhookCreated: {
    allOf: [
      { $ref: '#/components/schemas/Webhook' },
      {
        type: 'object',
        required: ['secret'],
        properties: {
          secret: {
            type: 'string',
            description: 'Signing secret (Standard Webhooks), shown only in this answer',
          },
        },
      },
    ],
  },
  WebhookDelivery: {
    type: 'object',
    required: ['id', 'status'],
    properties: {
      id: uuid,
      status: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
      attempts: int,
    },
    additionalProperties: true,
  },
};

/** `{data, nextCursor}` of a cursor-paginated list (CONTRACT section 2). */
export function pageOf(schema: string): Record<string, unknown> {
  return {
    type: 'object',
    required: ['data', 'nextCursor'],
    properties: {
      data: { type: 'array', items: { $ref: `#/components/schemas/${schema}` } },
      nextCursor: { type: 'string', nullable: true },
    },
  };
}

export interface OperationDoc {
  /** Component schema of the success answer; `page:X` for a page of X; absent for 204. */
  answer?: string;
  problems?: ErrorCode[];
}

const IDEMPOTENCY: ErrorCode[] = ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS'];

/** By `METHOD /path/{param}` (OpenAPI path syntax). */
export const OPERATIONS: Record<string, OperationDoc> = {
  'POST /v1/auth/register': { answer: 'User', problems: ['EMAIL_TAKEN'] },
  'POST /v1/auth/login': { answer: 'TokenPair', problems: ['INVALID_CREDENTIALS'] },
  'POST /v1/auth/refresh': { answer: 'TokenPair', problems: ['REFRESH_TOKEN_REUSED'] },
  'POST /v1/auth/logout': {},
  'GET /v1/users/me': { answer: 'User' },
  'PATCH /v1/users/me': { answer: 'User', problems: ['CURRENT_PASSWORD_INVALID'] },
  'GET /v1/users': { answer: 'page:User' },
  'GET /v1/users/{id}': { answer: 'User' },
  'PATCH /v1/users/{id}': { answer: 'User' },
  'GET /v1/products': { answer: 'page:Product' },
  'GET /v1/products/{id}': { answer: 'Product' },
  'POST /v1/products': { answer: 'Product', problems: ['SKU_TAKEN'] },
  'PATCH /v1/products/{id}': { answer: 'Product', problems: ['PRECONDITION_FAILED'] },
  'POST /v1/orders': { answer: 'Order', problems: ['INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT', ...IDEMPOTENCY] },
  'GET /v1/orders': { answer: 'page:Order' },
  'GET /v1/orders/{id}': { answer: 'Order' },
  'POST /v1/orders/{id}/cancel': { answer: 'Order', problems: ['INVALID_STATE_TRANSITION', ...IDEMPOTENCY] },
  'GET /v1/audit': { answer: 'page:AuditEntry' },
  'POST /v1/webhooks': { answer: 'WebhookCreated' },
  'GET /v1/webhooks': { answer: 'page:Webhook' },
  'DELETE /v1/webhooks/{id}': {},
  'GET /v1/webhooks/{id}/deliveries': { answer: 'page:WebhookDelivery' },
  'POST /v1/webhooks/deliveries/{id}/retry': {
    answer: 'WebhookDelivery',
    problems: ['INVALID_STATE_TRANSITION'],
  },
};
