import { OPERATIONS } from '../../src/docs/api-catalogue';
import { createTestApp, TestApp } from '../helpers/app';

type Operation = {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  requestBody?: unknown;
  security?: unknown[];
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
};

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

function documented(doc: Document): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await t.close();
  });

  it('documents every route the application registers, and no other', () => {
    const routes = registeredRoutes(t);
    expect(routes).toEqual(expect.arrayContaining(['GET /health/live', 'GET /health/ready', 'GET /metrics']));
    expect(routes.length).toBeGreaterThan(3);
    expect(documented(doc)).toEqual(routes);
  });

  it('gives every business route its answer schema and its problem codes', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
        if (!success) missing.push(`${name}: no success response`);
        else if (success[0] !== '204' && !success[1].content) missing.push(`${name}: no answer schema`);
        const problems = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
        if (!problems.some(([status]) => status === '500')) missing.push(`${name}: no 500 problem`);
        for (const [status, response] of problems) {
          if (!response.content?.['application/problem+json']?.schema)
            missing.push(`${name}: ${status} is not a problem document`);
        }
        if (path.startsWith('/v1/') && !OPERATIONS[name])
          missing.push(`${name}: not in src/docs/api-catalogue.ts`);
      }
    }
    expect(missing).toEqual([]);
    // And the catalogue names no route that does not exist.
    expect(Object.keys(OPERATIONS).filter((name) => !documented(doc).includes(name))).toEqual([]);
  });

  it('lists the codes of the contract on the routes they belong to', () => {
    const codes = (path: string, method: string, status: string): unknown => {
      const schema = doc.paths[path][method].responses[status].content?.['application/problem+json']
        ?.schema as { allOf: Array<{ properties?: { code?: { enum?: string[] } } }> };
      return schema.allOf[1].properties?.code?.enum;
    };
    expect(codes('/v1/orders', 'post', '409')).toEqual(
      expect.arrayContaining(['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS']),
    );
    expect(codes('/v1/orders', 'post', '422')).toEqual(
      expect.arrayContaining(['UNKNOWN_PRODUCT', 'IDEMPOTENCY_KEY_REUSED']),
    );
    expect(codes('/v1/orders', 'post', '400')).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'MALFORMED_JSON']),
    );
    expect(codes('/v1/orders/{id}', 'get', '401')).toEqual(['UNAUTHENTICATED']);
    expect(codes('/v1/users', 'get', '403')).toEqual(['FORBIDDEN']);
    expect(codes('/v1/auth/login', 'post', '401')).toEqual(['INVALID_CREDENTIALS']);
    expect(doc.paths['/v1/auth/login'].post.security ?? []).toEqual([]);
    expect(doc.paths['/v1/orders'].post.security).toEqual([{ bearer: [] }]);
  });

  it('describes request bodies from the validation rules the code enforces', () => {
    const order = doc.components.schemas.CreateOrderDto.properties?.items;
    expect(order).toMatchObject({ type: 'array', minItems: 1, maxItems: 50 });
    expect(doc.components.schemas.OrderItemDto.properties).toMatchObject({
      productId: { format: 'uuid' },
      quantity: { type: 'integer', minimum: 1, maximum: 1000 },
    });
  });

  it('serves the UI at /docs with its assets', async () => {
    const page = await t.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    for (const asset of [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])) {
      expect({ asset, status: (await t.inject({ method: 'GET', url: asset })).statusCode }).toEqual({
        asset,
        status: 200,
      });
    }
  });
});
