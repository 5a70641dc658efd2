// The `helm test` scripts (helm/bulwark/files/helm-test-smoke.mjs, read-only, the default; and
// helm-test-order.mjs, opt-in), run with node against a stand-in of the API that checks each call's
// route, body and token the way the API contract defines them.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CHART } from '../helpers/deploy/tools';
import { FULLNAME, find, render } from '../helpers/deploy/render';

const SCRIPT = path.join(CHART, 'files', 'helm-test-order.mjs');
const SMOKE = path.join(CHART, 'files', 'helm-test-smoke.mjs');

interface Call {
  method: string;
  url: string;
  auth?: string;
  body: Record<string, unknown>;
}

/** A minimal Bulwark: one admin, users registered on the fly, products and orders in memory. */
function fakeApi(options: { orderStatus?: number; readyAfter?: number; liveVersion?: string } = {}) {
  const calls: Call[] = [];
  const users = new Map<string, { password: string; role: string }>([
    ['admin@example.com', { password: 'admin-pw', role: 'admin' }],
  ]);
  let readyChecks = 0;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    calls.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const role = (req.headers.authorization ?? '').replace(/^Bearer token-/, '');
    if (req.method === 'GET' && req.url === '/health/ready') {
      readyChecks += 1;
      return send(readyChecks > (options.readyAfter ?? 0) ? 200 : 503, {});
    }
    if (req.method === 'GET' && req.url === '/health/live') {
      return send(200, {
        status: 'ok',
        info: { app: { status: 'up', version: options.liveVersion ?? '1.4.0', color: 'blue' } },
      });
    }
    if (req.method === 'GET' && req.url === '/v1/products' && !req.headers.authorization) {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      return res.end(JSON.stringify({ status: 401, code: 'UNAUTHENTICATED' }));
    }
    if (req.method === 'GET' && req.url === '/docs/openapi.json') {
      return send(200, { openapi: '3.0.0', paths: { '/v1/orders': {} } });
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('http_requests_total{method="GET"} 1\n');
    }
    if (req.method === 'POST' && req.url === '/v1/auth/login') {
      const u = users.get(String(body.email));
      return u && u.password === body.password
        ? send(200, { accessToken: `token-${u.role}`, tokenType: 'Bearer' })
        : send(401, { code: 'INVALID_CREDENTIALS' });
    }
    if (req.method === 'POST' && req.url === '/v1/auth/register') {
      users.set(String(body.email), { password: String(body.password), role: 'user' });
      return send(201, { email: body.email });
    }
    if (req.method === 'POST' && req.url === '/v1/products') {
      if (role !== 'admin') return send(403, { code: 'FORBIDDEN' });
      return send(201, { id: 'p-1', ...body });
    }
    if (req.method === 'POST' && req.url === '/v1/orders') {
      if (role !== 'user') return send(401, { code: 'UNAUTHENTICATED' });
      const items = body.items as { productId: string; quantity: number }[];
      if (options.orderStatus) return send(options.orderStatus, { code: 'INSUFFICIENT_STOCK' });
      return send(201, { id: 'o-1', status: 'confirmed', items, totalCents: items[0].quantity * 1234 });
    }
    return send(404, { code: 'NOT_FOUND' });
  };
  const server: Server = createServer((req, res) => void handler(req, res));
  return { server, calls };
}

async function runScript(
  options: Parameters<typeof fakeApi>[0] = {},
  script = SCRIPT,
): Promise<{ code: number; out: string; calls: Call[] }> {
  const { server, calls } = fakeApi(options);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    // Exactly as the test pod runs it: node --input-type=module -e "<script>".
    const child = spawn(process.execPath, ['--input-type=module', '-e', fs.readFileSync(script, 'utf8')], {
      env: {
        ...process.env,
        BASE_URL: `http://127.0.0.1:${port}`,
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'admin-pw',
        BLUE_VERSION: '1.4.0',
        GREEN_VERSION: '1.5.0',
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    return { code, out, calls };
  } finally {
    server.close();
  }
}

describe('helm test: the read-only smoke script (default)', () => {
  it('is the script the test pod runs, with the release tags to compare against', () => {
    const pod = find(render(), 'Pod', `${FULLNAME}-test-smoke`);
    expect(pod.spec.containers[0].args).toEqual([
      'node',
      '--input-type=module',
      '-e',
      fs.readFileSync(SMOKE, 'utf8').trimEnd(),
    ]);
    const env = Object.fromEntries(
      pod.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ BLUE_VERSION: '0.1.0', GREEN_VERSION: '0.1.0' });
  });

  it('waits for readiness and makes GET requests only: it writes nothing', async () => {
    const { code, out, calls } = await runScript({ readyAfter: 1 }, SMOKE);
    expect(out).toContain('read-only checks passed');
    expect(code).toBe(0);
    expect(new Set(calls.map((c) => c.method))).toEqual(new Set(['GET']));
    expect(calls.every((c) => c.auth === undefined)).toBe(true);
    expect(calls.map((c) => c.url).filter((u) => u !== '/health/ready')).toEqual([
      '/health/live',
      '/v1/products',
      '/docs/openapi.json',
      '/metrics',
    ]);
  });

  it('fails when the answering pod runs another version than the release says', async () => {
    const { code, out } = await runScript({ liveVersion: '9.9.9' }, SMOKE);
    expect(code).toBe(1);
    expect(out).toMatch(/blue pod answered version 9\.9\.9, the release says 1\.4\.0/);
  });
});

describe('helm test: the order-flow script (tests.orderFlow)', () => {
  it('is the script the test pod runs', () => {
    const pod = find(render({ set: { 'tests.orderFlow': true } }), 'Pod', `${FULLNAME}-test-order`);
    expect(pod.spec.containers[0].args).toEqual([
      'node',
      '--input-type=module',
      '-e',
      fs.readFileSync(SCRIPT, 'utf8').trimEnd(),
    ]);
  });

  it('waits for readiness, then admin login → product → register → login → order', async () => {
    const { code, out, calls } = await runScript({ readyAfter: 1 });
    expect(out).toContain('confirmed');
    expect(code).toBe(0);
    const api = calls.filter((c) => c.url.startsWith('/v1/'));
    expect(api.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /v1/auth/login',
      'POST /v1/products',
      'POST /v1/auth/register',
      'POST /v1/auth/login',
      'POST /v1/orders',
    ]);
    expect(api[1]).toMatchObject({ auth: 'Bearer token-admin', body: { priceCents: 1234, stock: 5 } });
    expect(Object.keys(api[1].body).sort()).toEqual(['name', 'priceCents', 'sku', 'stock']);
    expect(Object.keys(api[2].body).sort()).toEqual(['email', 'name', 'password']);
    expect((api[2].body.password as string).length).toBeGreaterThanOrEqual(10);
    expect(api[4]).toMatchObject({
      auth: 'Bearer token-user',
      body: { items: [{ productId: 'p-1', quantity: 2 }] },
    });
  });

  it('fails, naming the call, when the order is refused', async () => {
    const { code, out } = await runScript({ orderStatus: 409 });
    expect(code).toBe(1);
    expect(out).toMatch(/POST \/v1\/orders: expected 201, got 409/);
  });
});
