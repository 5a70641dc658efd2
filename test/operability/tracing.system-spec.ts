import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DIST_DIR, ServiceProcess } from '../helpers/service';
import { openShop, Shop, startBulwark, subscribe } from '../helpers/webhooks/bulwark';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

/**
 * Tracing with OpenTelemetry (docs/tracing.md), end to end: the built service exports to a real
 * OTLP/HTTP endpoint (a JSON receiver in this file, as a collector would be), one order placed with
 * a W3C `traceparent` is followed from the HTTP request through its SQL statements and the outbox
 * write to the webhook delivery attempt, and the receiver of the webhook gets the trace too.
 */

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  service: unknown;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributes = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** An OTLP/HTTP traces endpoint accepting the JSON encoding (https://opentelemetry.io/docs/specs/otlp/#otlphttp). */
async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ExportedSpan[];
  contentTypes: string[];
  close(): Promise<void>;
}> {
  const spans: ExportedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
      for (const rs of body.resourceSpans ?? []) {
        const service = attributes(rs.resource?.attributes)['service.name'];
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes: attributes(s.attributes),
              service,
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SQL_TEXT = (s: ExportedSpan) =>
  String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '');

jest.setTimeout(120_000);

describe('tracing with OpenTelemetry (system)', () => {
  let db: TestDatabase;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let service: ServiceProcess;
  let receiver: Receiver;
  let shop: Shop;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    db = await createTestDatabase();
    service = await startBulwark(db, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: 'bulwark-tracing-spec',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    receiver = await startReceiver();
    shop = await openShop(service, db);
    const { secret } = await subscribe(shop.admin, receiver.url);
    receiver.secret = secret;
  });

  afterAll(async () => {
    await service?.stop();
    await receiver?.stop();
    await otlp?.close();
    await db?.drop();
  });

  it('follows one order from its HTTP request through its SQL and the outbox to the webhook delivery, in one trace', async () => {
    // The caller's own trace: Bulwark continues it (W3C Trace Context).
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const created = await shop.shopper.call<{ id: string }>(
      'POST',
      '/v1/orders',
      { items: [{ productId: shop.productId, quantity: 1 }] },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(created.status).toBe(201);
    const orderId = created.body.id;

    await eventually(
      () => receiver.received.some((r) => r.data.id === orderId && r.answered === 200),
      20_000,
      () => `(webhook of ${orderId} not delivered)`,
    );
    const delivered = receiver.received.find((r) => r.data.id === orderId);
    // The delivery carries the trace on to the receiver.
    expect(delivered?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
    await eventually(
      () =>
        inTrace().some(
          (s) => s.name === 'webhook delivery' && s.attributes['http.response.status_code'] !== undefined,
        ),
      20_000,
      () =>
        `(spans of the trace so far: ${inTrace()
          .map((s) => s.name)
          .join(', ')})`,
    );
    // The last SQL of the delivery (marking it delivered) is exported with or after its span.
    await eventually(
      () => inTrace().some((s) => /UPDATE webhook_deliveries SET status = 'delivered'/.test(SQL_TEXT(s))),
      10_000,
      () => `(SQL spans so far: ${inTrace().map(SQL_TEXT).filter(Boolean).join(' | ')})`,
    );
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    const http = spans.find((s) => s.name === 'POST /v1/orders');
    expect(http).toBeDefined();
    expect(http?.parentSpanId).toBe(callerSpanId);
    expect(http?.kind).toBe(2); // SERVER
    expect(http?.attributes).toMatchObject({ 'http.route': '/v1/orders', 'http.response.status_code': 201 });
    expect(http?.service).toBe('bulwark-tracing-spec');

    // Every statement of the order's transaction is a span under the request's span (directly or
    // under the outbox write), and none carries bound values.
    const underRequest = (s: ExportedSpan): boolean => {
      for (let p = s.parentSpanId; p; p = byId.get(p)?.parentSpanId) if (p === http?.spanId) return true;
      return false;
    };
    const requestSql = spans.filter((s) => SQL_TEXT(s) && underRequest(s)).map(SQL_TEXT);
    expect(requestSql.some((q) => q.startsWith('INSERT INTO audit_log'))).toBe(true);
    expect(requestSql.some((q) => q.startsWith('INSERT INTO idempotency_keys') || /orders/.test(q))).toBe(
      true,
    );
    expect(spans.every((s) => s.attributes['db.statement.parameters'] === undefined)).toBe(true);

    const outbox = spans.find((s) => s.name === 'outbox enqueue');
    expect(outbox?.parentSpanId).toBe(http?.spanId);
    expect(
      spans.some((s) => s.parentSpanId === outbox?.spanId && /INSERT INTO outbox_events/.test(SQL_TEXT(s))),
    ).toBe(true);

    const delivery = spans.find((s) => s.name === 'webhook delivery');
    expect(delivery?.parentSpanId).toBe(outbox?.spanId);
    expect(delivered?.headers.traceparent).toBe(`00-${traceId}-${delivery?.spanId}-01`);
    expect(
      spans.some(
        (s) =>
          s.parentSpanId === delivery?.spanId &&
          /UPDATE webhook_deliveries SET status = 'delivered'/.test(SQL_TEXT(s)),
      ),
    ).toBe(true);
    expect(otlp.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('puts trace_id and span_id on the log lines of a traced request and of its delivery', async () => {
    const lines = () =>
      service
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const isAccess = (l: Record<string, unknown>) =>
      l.msg === 'request' && l.route === '/v1/orders' && l.status === 201;
    // Log lines reach stdout through a buffer flushed every 250 ms (src/logging/logger.ts).
    await eventually(
      () => lines().some(isAccess),
      5_000,
      () => '(no access line for the order yet)',
    );
    const access = lines().find(isAccess);
    expect(access).toMatchObject({
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const server = otlp.spans.find((s) => s.spanId === access?.span_id);
    expect(server?.name).toBe('POST /v1/orders');
    expect(server?.traceId).toBe(access?.trace_id);
    await eventually(
      () => lines().some((l) => l.msg === 'webhook delivered' && l.trace_id === access?.trace_id),
      5_000,
      () => `(delivery lines: ${JSON.stringify(lines().filter((l) => String(l.msg).startsWith('webhook')))})`,
    );
    const deliveredLine = lines().find(
      (l) => l.msg === 'webhook delivered' && l.trace_id === access?.trace_id,
    );
    const deliverySpan = otlp.spans.find(
      (s) => s.name === 'webhook delivery' && s.traceId === access?.trace_id,
    );
    expect(deliveredLine?.span_id).toBe(deliverySpan?.spanId);
  });

  // prom-client loads @opentelemetry/api (the API alone, a no-op without an SDK) for its exemplars,
  // with or without tracing: what must not load is the SDK, the exporter and the instrumentation.
  it('loads nothing of the OpenTelemetry SDK when the OTEL_* variables do not turn it on', () => {
    const script = `require(${JSON.stringify(join(DIST_DIR, 'tracing', 'register.js'))});
      require(${JSON.stringify(join(DIST_DIR, 'app.factory.js'))});
      process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry/') && !k.includes('@opentelemetry/api/')).length));`;
    const loaded = (env: Record<string, string>) =>
      Number(
        execFileSync(process.execPath, ['-e', script], {
          env: { PATH: process.env.PATH ?? '', ...env },
          encoding: 'utf8',
        }),
      );
    expect(loaded({})).toBe(0);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SDK_DISABLED: 'true' })).toBe(0);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url })).toBeGreaterThan(0);
  });
});
