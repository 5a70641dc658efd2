import pino, { DestinationStream, Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { currentScope } from '../database/wait-budget';
import { tracing } from '../tracing/tracing';

/**
 * Paths that must never be written, wherever they appear in a log object (pino's redaction:
 * https://getpino.io/#/docs/redaction). Bodies are never logged, so this is a second line.
 */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'jwtSecret',
  'authorization',
  'cookie',
  'set-cookie',
];
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) =>
    [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`].map((p) => (k.includes('-') ? p.replace(k, `["${k}"]`) : p)),
  ),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * pino's error serializer, minus the bound parameters TypeORM attaches to a failed query
 * (`QueryFailedError.parameters`): they can hold password hashes or tokens.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  delete serialized.parameters;
  if (serialized.driverError && typeof serialized.driverError === 'object') {
    const { parameters: _dropped, ...driverError } = serialized.driverError as Record<string, unknown>;
    serialized.driverError = driverError;
  }
  return serialized;
}

/**
 * How log lines reach stdout: buffered in memory and written asynchronously (SonicBoom, pino's own
 * destination) once 4 KiB have gathered or every 250 ms, whichever comes first — a write system call
 * per ~15 lines under load instead of one per line. Nothing buffered is lost on the way out: the
 * shutdown and the fatal-error handler flush it (src/shutdown.ts), and pino flushes it synchronously
 * at `process.exit` as a last resort (test/operability/log-flush.system-spec.ts proves both).
 */
export const LOG_BUFFER_BYTES = 4096;
export const LOG_FLUSH_INTERVAL_MS = 250;

export function stdoutDestination(): DestinationStream {
  return pino.destination({
    fd: 1,
    sync: false,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
}

/**
 * What every line written while a request is handled carries besides its own fields: the request id,
 * the caller once authenticated, and the trace and span ids when tracing is on (docs/tracing.md).
 * The line's own fields win over these (pino merges the line into the object answered here, so it
 * must be a new one each time).
 */
export function logContext(): Record<string, string> {
  const scope = currentScope();
  const trace = tracing()?.activeLogFields();
  const fields: Record<string, string> = { ...trace };
  if (scope?.requestId) fields.requestId = scope.requestId;
  if (scope?.userId) fields.userId = scope.userId;
  return fields;
}

function baseOptions(config: AppConfig): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { app_version: config.appVersion, color: config.releaseColor },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** The service's pino logger: JSON lines, every line labelled with version and colour, secrets redacted. */
export function createLogger(
  config: AppConfig,
  destination: DestinationStream = stdoutDestination(),
): Logger {
  return pino(
    {
      ...baseOptions(config),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      mixin: logContext,
    },
    destination,
  );
}

/**
 * The access log's writer, on the same destination. Its lines are built field by field from a fixed
 * list that holds no secret (src/logging/access-log.ts), so they skip the redaction pass, which with
 * wildcard paths costs ~20× the rest of writing a line (measured by `npm run bench --cpu-prof`).
 */
export function createAccessLogger(config: AppConfig, destination: DestinationStream): Logger {
  return pino(baseOptions(config), destination);
}
