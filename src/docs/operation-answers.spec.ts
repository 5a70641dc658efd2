import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { completeOperations, HandlerFacts } from './operation-answers';

const facts = (over: Partial<HandlerFacts> = {}): HandlerFacts => ({
  isPublic: false,
  roles: [],
  idempotent: false,
  problems: [],
  ...over,
});

function documentWith(path: string, method: 'get' | 'post', op: Partial<OperationObject>): OpenAPIObject {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: { [path]: { [method]: { responses: { 200: { description: '' } }, ...op } } },
    components: {},
  } as OpenAPIObject;
}

const codesOf = (response: ResponseObject | undefined): unknown =>
  (
    response?.content?.['application/problem+json']?.schema as {
      allOf: Array<{ properties?: { code?: { enum?: unknown } } }>;
    }
  )?.allOf[1].properties?.code?.enum;

describe('completeOperations', () => {
  it('adds what a business route is: bearer security, 401, 429/503 with Retry-After, 400 for a value the database refuses, 500 with the injected fault', () => {
    const doc = documentWith('/v1/things', 'get', { operationId: 'listThings' });
    completeOperations(doc, new Map([['listThings', facts()]]));
    const op = doc.paths['/v1/things'].get as OperationObject;
    expect(op.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '429', '500', '503']);
    expect(codesOf(op.responses[400] as ResponseObject)).toEqual(['BAD_REQUEST']);
    expect(codesOf(op.responses[500] as ResponseObject)).toEqual(['INTERNAL_ERROR', 'FAULT_INJECTED']);
    expect((op.responses[429] as ResponseObject).headers?.['Retry-After']).toEqual({
      $ref: '#/components/headers/RetryAfter',
    });
    expect((op.responses[200] as ResponseObject).headers).toEqual({
      'X-Request-Id': { $ref: '#/components/headers/RequestId' },
    });
    expect((op.responses[200] as ResponseObject).description).toBe('OK');
    expect(op.parameters).toEqual([{ $ref: '#/components/parameters/RequestId' }]);
  });

  it('leaves a public probe outside /v1 with no security and only the 500', () => {
    const doc = documentWith('/health/live', 'get', { operationId: 'getLiveness' });
    completeOperations(doc, new Map([['getLiveness', facts({ isPublic: true })]]));
    const op = doc.paths['/health/live'].get as OperationObject;
    expect(op.security).toEqual([]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '500']);
  });

  it('groups own and shared codes by status, in the order of the error codes, and marks idempotent answers', () => {
    const doc = documentWith('/v1/things/{id}', 'post', {
      operationId: 'changeThing',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { content: { 'application/json': { schema: {} } } },
      responses: { 201: { description: 'Created' } },
    });
    const own = facts({
      roles: ['admin'],
      idempotent: true,
      problems: ['INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT'],
    });
    completeOperations(doc, new Map([['changeThing', own]]));
    const op = doc.paths['/v1/things/{id}'].post as OperationObject;
    const response = (status: number) => op.responses[status] as ResponseObject;
    expect(codesOf(response(400))).toEqual(['MALFORMED_JSON', 'VALIDATION_FAILED', 'BAD_REQUEST']);
    expect(codesOf(response(403))).toEqual(['FORBIDDEN']);
    expect(codesOf(response(404))).toEqual(['NOT_FOUND']);
    expect(codesOf(response(414))).toEqual(['URI_TOO_LONG']);
    expect(codesOf(response(409))).toEqual(['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS']);
    expect(codesOf(response(422))).toEqual(['UNKNOWN_PRODUCT', 'IDEMPOTENCY_KEY_REUSED']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['413', '415']));
    expect(response(409).headers?.['Retry-After']).toMatchObject({ required: false });
    for (const status of [201, 404, 409, 422])
      expect(Object.keys(response(status).headers ?? {})).toContain('Idempotent-Replayed');
    for (const status of [400, 401, 429, 500])
      expect(Object.keys(response(status).headers ?? {})).not.toContain('Idempotent-Replayed');
    expect(op.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect((op as unknown as Record<string, unknown>)['x-roles']).toEqual(['admin']);
  });

  it('refuses an operation without @Operation (no stable id) and a status documented twice', () => {
    expect(() =>
      completeOperations(
        documentWith('/v1/things', 'get', { operationId: 'ThingsController_list' }),
        new Map(),
      ),
    ).toThrow('GET /v1/things has no @Operation(id, summary)');
    const twice = documentWith('/v1/things', 'get', {
      operationId: 'listThings',
      responses: { 200: { description: '' }, 401: { description: 'mine' } },
    });
    expect(() => completeOperations(twice, new Map([['listThings', facts()]]))).toThrow(
      'listThings: 401 is documented twice',
    );
  });
});
