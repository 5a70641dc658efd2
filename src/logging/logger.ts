import pino, { DestinationStream, Logger } from 'pino';
import type { AppConfig } from '../config/config';

export const APP_LOGGER = Symbol('APP_LOGGER');

/**
 * Paths that must never be written, wherever they appear in a log object (pino's redaction:
 * https://getpino.io/#/docs/redaction). Bodies are never logged, so this is a second line.
 */
const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'secret', 'jwtSecret', 'authorization', 'cookie', 'set-cookie'];
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`].map((p) => (k.includes('-') ? p.replace(k, `["${k}"]`) : p))),
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

/** The service's one pino logger: JSON lines, every line labelled with version and colour. */
export function createLogger(config: AppConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { app_version: config.appVersion, color: config.releaseColor },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
