import type { Tracing } from './types';

/**
 * OpenTelemetry tracing (docs/tracing.md), off by default. This module imports nothing of
 * OpenTelemetry: only when the standard `OTEL_*` variables ask for traces is the implementation
 * (./otel.ts, and with it the SDK, the OTLP exporter and the pg instrumentation) loaded, so a
 * service without tracing pays neither the memory nor a hook per request.
 */

export type { SpanHandle, Tracing } from './types';

export interface TracingDecision {
  enabled: boolean;
  /** Why, in words an operator can act on (logged at start). */
  reason: string;
  /** Where spans go (the OTLP/HTTP traces URL), when enabled. */
  endpoint?: string;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/traces';

/**
 * On when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp` asks for the default one; off when
 * `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`, or an exporter or protocol Bulwark does not
 * ship (it ships OTLP over HTTP, JSON encoded) is asked for.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
export function tracingDecision(env: NodeJS.ProcessEnv): TracingDecision {
  const value = (name: string) => env[name]?.trim() || undefined;
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true')
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const unsupported = exporters.filter((e) => e !== 'otlp');
  if (unsupported.length > 0)
    return {
      enabled: false,
      reason: `OTEL_TRACES_EXPORTER=${unsupported.join(',')} is not supported: Bulwark exports OTLP only (set otlp)`,
    };
  const protocol = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf')
    return {
      enabled: false,
      reason: `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: Bulwark exports OTLP over HTTP (JSON); point it at the collector's HTTP port (4318)`,
    };
  const signal = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!signal && !base && !exporters.includes('otlp'))
    return { enabled: false, reason: 'no OTLP endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT)' };
  const endpoint = signal ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : DEFAULT_ENDPOINT);
  return { enabled: true, reason: 'an OTLP endpoint is configured', endpoint };
}

let active: Tracing | undefined;
let decision: TracingDecision = { enabled: false, reason: 'not started' };

/**
 * Decides from the environment and, when on, loads and starts the SDK. Must run before `pg` is
 * loaded (its instrumentation patches the module as it is required): src/tracing/register.ts is the
 * first import of src/main.ts.
 */
export function startTracing(env: NodeJS.ProcessEnv): TracingDecision {
  if (active) return decision;
  decision = tracingDecision(env);
  if (decision.enabled) {
    // Loaded only here, so that nothing of OpenTelemetry is in memory when tracing is off.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const otel = require('./otel') as typeof import('./otel');
    active = otel.createTracing(env);
  }
  return decision;
}

/** The running tracing, or undefined when it is off. */
export function tracing(): Tracing | undefined {
  return active;
}

export function tracingStatus(): TracingDecision {
  return decision;
}
