import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_CODES } from '../../src/common/errors/error-codes';
import { createTestApp, TestApp } from '../helpers/app';
import type { OpenApiDocument } from '../helpers/openapi-contract';

/**
 * Every route Fastify has registered, as `METHOD /path/{param}`, read from its own route table
 * (`printRoutes`), independently of how the document is generated. HEAD routes are Fastify's
 * automatic twins of GET routes; /docs serves the document and its UI.
 */
function registeredRoutes(t: TestApp): string[] {
  const tree = t.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${match[2]}`;
    stack[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) {
      if (method === 'HEAD' || method === 'OPTIONS' || path === '/docs' || path.startsWith('/docs/'))
        continue;
      routes.push(`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

function documented(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

function operations(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })),
  );
}

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is a valid OpenAPI 3.1 document (checked against the specification’s JSON Schema)', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toMatch(/^3\.1/);
  });

  it('documents every route the application registers, and no other', () => {
    const routes = registeredRoutes(t);
    expect(routes).toEqual(expect.arrayContaining(['GET /health/live', 'GET /health/ready', 'GET /metrics']));
    expect(routes.length).toBeGreaterThan(3);
    expect(documented(doc)).toEqual(routes);
  });

  it('names every operation: a summary and a unique, readable operationId', () => {
    const ids = operations(doc).map(({ op }) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      operations(doc)
        .filter(({ op }) => !op.summary)
        .map(({ name }) => name),
    ).toEqual([]);
  });

  it('gives every operation one success answer with its schema, and its problems as problem documents', () => {
    const missing: string[] = [];
    for (const { name, op } of operations(doc)) {
      const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      if (successes.length !== 1) missing.push(`${name}: ${successes.length} success answers`);
      else if (successes[0][0] !== '204' && !successes[0][1].content)
        missing.push(`${name}: no answer schema`);
      const problems = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      if (!problems.some(([status]) => status === '500')) missing.push(`${name}: no 500 problem`);
      for (const [status, response] of problems) {
        const problem = response.content?.['application/problem+json']?.schema;
        // Readiness answers 503 in Terminus' shape, not as a problem.
        if (!problem && !(name === 'GET /health/ready' && status === '503'))
          missing.push(`${name}: ${status} is not a problem document`);
      }
      for (const response of Object.values(op.responses)) {
        if (!response.headers?.['X-Request-Id']) missing.push(`${name}: an answer without X-Request-Id`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists the codes of the contract on the routes they belong to, grouped by their status', () => {
    const codes = (path: string, method: string, status: string): unknown => {
      const schema = doc.paths[path][method].responses[status].content?.['application/problem+json']
        ?.schema as { allOf: Array<{ properties?: { code?: { enum?: string[] } } }> };
      return schema.allOf[1].properties?.code?.enum;
    };
    expect(codes('/v1/orders', 'post', '409')).toEqual(['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS']);
    expect(codes('/v1/orders', 'post', '422')).toEqual(['UNKNOWN_PRODUCT', 'IDEMPOTENCY_KEY_REUSED']);
    expect(codes('/v1/orders', 'post', '400')).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'MALFORMED_JSON']),
    );
    expect(codes('/v1/orders/{id}', 'get', '401')).toEqual(['UNAUTHENTICATED']);
    expect(codes('/v1/orders/{id}', 'get', '404')).toEqual(['NOT_FOUND']);
    expect(codes('/v1/users', 'get', '403')).toEqual(['FORBIDDEN']);
    expect(codes('/v1/auth/login', 'post', '401')).toEqual(['INVALID_CREDENTIALS']);
    expect(codes('/v1/products/{id}', 'patch', '412')).toEqual(['PRECONDITION_FAILED']);
    expect(codes('/health/live', 'get', '500')).toEqual(['INTERNAL_ERROR']);
    expect(doc.paths['/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/v1/orders'].post.security).toEqual([{ bearer: [] }]);
    for (const { name, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/problem+json']?.schema as
          | { allOf: Array<{ properties?: { code?: { enum?: Array<keyof typeof ERROR_CODES> } } }> }
          | undefined;
        for (const code of schema?.allOf[1].properties?.code?.enum ?? [])
          expect({ name, code, status: ERROR_CODES[code].status }).toEqual({
            name,
            code,
            status: Number(status),
          });
      }
    }
  });

  it('describes request bodies and queries from the validation rules the code enforces', () => {
    expect(doc.components.schemas.CreateOrderDto.properties).toMatchObject({
      items: { type: 'array', minItems: 1, maxItems: 50 },
    });
    expect(doc.components.schemas.OrderItemDto.properties).toMatchObject({
      productId: { format: 'uuid' },
      quantity: { type: 'integer', minimum: 1, maximum: 1000 },
    });
    expect(doc.components.schemas.RegisterDto.properties).toMatchObject({
      password: { minLength: 10, maxLength: 128 },
    });
    expect(doc.components.schemas.CreateProductDto.properties).toMatchObject({
      sku: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    });
    expect(doc.components.schemas.CreateWebhookDto.properties).toMatchObject({
      events: { uniqueItems: true, items: { enum: ['order.created', 'order.cancelled'] } },
    });
    const limit = doc.paths['/v1/orders'].get.parameters?.find((p) => 'name' in p && p.name === 'limit');
    expect(limit).toMatchObject({
      in: 'query',
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
  });

  it('documents the headers the API relies on', () => {
    const createOrder = doc.paths['/v1/orders'].post;
    const parameters = JSON.stringify(createOrder.parameters);
    expect(parameters).toContain('#/components/parameters/IdempotencyKey');
    expect(parameters).toContain('#/components/parameters/RequestId');
    expect(Object.keys(createOrder.responses['201'].headers ?? {})).toEqual(
      expect.arrayContaining(['Location', 'X-Request-Id', 'Idempotent-Replayed']),
    );
    expect(createOrder.responses['429'].headers?.['Retry-After']).toEqual({
      $ref: '#/components/headers/RetryAfter',
    });
    expect(createOrder.responses['503'].headers?.['Retry-After']).toEqual({
      $ref: '#/components/headers/RetryAfter',
    });
    const updateProduct = doc.paths['/v1/products/{id}'].patch;
    expect(updateProduct.parameters).toContainEqual(
      expect.objectContaining({ name: 'If-Match', in: 'header' }),
    );
    expect(Object.keys(updateProduct.responses['200'].headers ?? {})).toContain('ETag');
    expect(doc.components.parameters.RequestId).toMatchObject({ name: 'X-Request-Id', in: 'header' });
  });

  it('documents the webhook events in the 3.1 `webhooks` section, with the Standard Webhooks headers', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual(['order.cancelled', 'order.created']);
    for (const item of Object.values(doc.webhooks)) {
      expect(item.post.parameters?.map((p) => 'name' in p && p.name)).toEqual(
        expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
      );
    }
    expect(doc.components.schemas.OrderCreatedEvent.properties).toMatchObject({
      type: { enum: ['order.created'] },
      data: { allOf: [{ $ref: '#/components/schemas/Order' }] },
    });
  });

  it('serves the UI at /docs with its assets, under the security headers', async () => {
    const page = await t.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    // Helmet's policy allows only same-origin scripts: the page has no inline script.
    expect(csp).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    const assets = [...page.body.matchAll(/(?:src|href)=['"]([^'"]+)['"]/g)].map(
      (m) => new URL(m[1], 'http://localhost/docs').pathname,
    );
    expect(assets).toEqual(
      expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js']),
    );
    for (const asset of assets) {
      expect({ asset, status: (await t.inject({ method: 'GET', url: asset })).statusCode }).toEqual({
        asset,
        status: 200,
      });
    }
    const init = await t.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
    expect(init.body).toContain('"openapi": "3.1.0"');
  });
});
