import {
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeTemplate } from '../logging/route-template';
import type { SpanHandle, SpanOptions, Tracing } from './types';

/**
 * The OpenTelemetry SDK as Bulwark uses it, loaded only when tracing is on (./tracing.ts):
 * a SERVER span per HTTP request (made here from Fastify's hooks: cheaper than patching `http`, and
 * named by route template), a span per SQL statement (the official pg instrumentation, only under a
 * span of ours: the pollers' statements are not traced), spans for the outbox write and each webhook
 * delivery attempt (src/webhooks), W3C Trace Context in and out, OTLP/HTTP (JSON) export in batches.
 */

const SPAN = Symbol('bulwark.span');
const SPAN_CONTEXT = Symbol('bulwark.spanContext');
type TracedRequest = FastifyRequest & { [SPAN]?: Span; [SPAN_CONTEXT]?: Context };

const KINDS = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER };

/** The sampler of `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (default parentbased_always_on). */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const argument = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = Number.isFinite(argument) && argument >= 0 && argument <= 1 ? argument : 1;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

function fieldsOf(span: Span | undefined): Record<string, string> | undefined {
  if (!span) return undefined;
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}

export function createTracing(env: NodeJS.ProcessEnv): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        'service.name': 'bulwark',
        'service.version': env.APP_VERSION ?? 'dev',
        'deployment.color': env.RELEASE_COLOR ?? 'none',
      }),
    )
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: samplerFromEnv(env),
    spanProcessors: [
      // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT itself.
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(),
        scheduledDelayMillis: positiveNumber(env.OTEL_BSP_SCHEDULE_DELAY, 5000),
        maxQueueSize: positiveNumber(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
        maxExportBatchSize: positiveNumber(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
        exportTimeoutMillis: positiveNumber(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  // Statement text only (no bound values: they can hold secrets); no spans for connects or for
  // statements outside a span of ours (the background pollers).
  new PgInstrumentation({
    requireParentSpan: true,
    enhancedDatabaseReporting: false,
    ignoreConnectSpans: true,
  });
  const tracer = trace.getTracer('bulwark');

  return {
    installHttp(fastify: FastifyInstance): void {
      fastify.addHook('onRequest', (request, _reply, done) => {
        const parent = propagation.extract(ROOT_CONTEXT, request.headers);
        const route = routeTemplate(request);
        const span = tracer.startSpan(
          `${request.method} ${route}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'http.route': route,
              'url.path': request.url.split('?')[0],
              'bulwark.request_id': request.id,
            },
          },
          parent,
        );
        const traced = request as TracedRequest;
        traced[SPAN] = span;
        traced[SPAN_CONTEXT] = trace.setSpan(parent, span);
        done();
      });
      fastify.addHook('onResponse', (request, reply, done) => {
        const span = (request as TracedRequest)[SPAN];
        if (span) {
          span.setAttribute('http.response.status_code', reply.statusCode);
          if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
        done();
      });
    },

    runInRequest<T>(request: FastifyRequest, work: () => T): T {
      const spanContext = (request as TracedRequest)[SPAN_CONTEXT];
      return spanContext ? context.with(spanContext, work) : work();
    },

    logFieldsOf(request: FastifyRequest) {
      return fieldsOf((request as TracedRequest)[SPAN]);
    },

    activeLogFields() {
      return fieldsOf(trace.getActiveSpan());
    },

    async withSpan<T>(
      name: string,
      options: SpanOptions,
      work: (span: SpanHandle) => Promise<T>,
    ): Promise<T> {
      const parent =
        options.parent === undefined
          ? context.active()
          : options.parent
            ? propagation.extract(ROOT_CONTEXT, { traceparent: options.parent })
            : ROOT_CONTEXT;
      const span = tracer.startSpan(
        name,
        { kind: KINDS[options.kind ?? 'internal'], attributes: options.attributes },
        parent,
      );
      const handle: SpanHandle = {
        traceparent: traceparentOf(span),
        setAttribute: (key, value) => void span.setAttribute(key, value),
        fail: (reason) => span.setStatus({ code: SpanStatusCode.ERROR, message: reason }),
      };
      try {
        return await context.with(trace.setSpan(parent, span), () => work(handle));
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    },

    async shutdown(timeoutMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provider.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
