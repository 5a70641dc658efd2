import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What the service sees of tracing (./tracing.ts); implemented by ./otel.ts when tracing is on. */

/** A span opened by `withSpan`, as its work sees it. */
export interface SpanHandle {
  /** The span's W3C `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header). */
  readonly traceparent: string;
  setAttribute(name: string, value: string | number | boolean): void;
  /** Marks the span failed (the work may still return normally, e.g. an outcome it recorded). */
  fail(reason: string): void;
}

export interface SpanOptions {
  kind?: 'internal' | 'client' | 'producer';
  attributes?: Record<string, string | number | boolean>;
  /** A stored `traceparent` to continue; default: the active span (or a new trace). */
  parent?: string | null;
}

export interface Tracing {
  /** Fastify hooks: one SERVER span per request, child of an incoming `traceparent` if valid. */
  installHttp(fastify: FastifyInstance): void;
  /** Runs a route handler with the request's span active (its SQL and log lines join it). */
  runInRequest<T>(request: FastifyRequest, work: () => T): T;
  /** `trace_id` and `span_id` of the request's span, for its access-log line. */
  logFieldsOf(request: FastifyRequest): Record<string, string> | undefined;
  /** `trace_id` and `span_id` of the active span, for every other log line. */
  activeLogFields(): Record<string, string> | undefined;
  /** Runs `work` in a new span (ended when it settles, failed if it throws). */
  withSpan<T>(name: string, options: SpanOptions, work: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** Exports what is buffered, then stops; bounded by `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}
