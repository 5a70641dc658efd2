import { AppError, ServiceUnavailableError } from './app-error';

/**
 * The database did not answer within the client-side bound (src/database/bounded-driver.ts), or a
 * request had spent its whole database budget before it could wait at all. For a statement, its
 * connection was discarded: whether the statement (or a COMMIT) took effect is unknown, and is never
 * guessed; an idempotency key tells the client on a retry (docs/failure-behaviour.md).
 */
export class DatabaseTimeoutError extends Error {
  constructor(
    readonly waitingFor: 'statement' | 'connection',
    readonly afterMs: number,
  ) {
    super(
      afterMs <= 0
        ? `the request's database time budget is spent; no ${waitingFor} was waited for`
        : waitingFor === 'statement'
          ? `no answer from the database within ${afterMs} ms; the connection was discarded`
          : `no database connection within ${afterMs} ms`,
    );
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * PostgreSQL SQLSTATE classes and node-postgres/socket failures that mean "the database cannot serve
 * right now" (https://www.postgresql.org/docs/current/errcodes-appendix.html). They become 503
 * `SERVICE_UNAVAILABLE` with `Retry-After`, never 500: the request may succeed when retried.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
  '57P01', // admin_shutdown (pg_terminate_backend, server stop)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '53300', // too_many_connections
  '53000', // insufficient_resources
  '25P03', // idle_in_transaction_session_timeout
]);
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  // pg's own connect bound (connectionTimeoutMillis), e.g. when a stalled event loop let it elapse.
  'timeout expired',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'Connection is not established',
  'Query read timeout',
  'terminating connection',
];

/** The error and what it wraps: TypeORM's `driverError`, an `Error`'s `cause` (pg-pool's connect timeout). */
function chain(error: unknown): unknown[] {
  const found: unknown[] = [];
  for (let e = error; typeof e === 'object' && e !== null && found.length < 5;) {
    found.push(e);
    const next = e as { driverError?: unknown; cause?: unknown };
    e = next.driverError ?? next.cause;
  }
  return found;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; driverError?: unknown };
  if (typeof e.code === 'string') return e.code;
  return e.driverError ? codeOf(e.driverError) : undefined;
}

/** PostgreSQL ends the session on a FATAL error: it is about the connection, never the statement. */
function isFatal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { severity?: unknown; driverError?: unknown };
  return e.severity === 'FATAL' || (e.driverError !== undefined && isFatal(e.driverError));
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (chain(error).some((e) => e instanceof DatabaseTimeoutError)) return true;
  // TypeORM releases a query runner whose connection died between two statements (the server ended
  // the session); the transaction's next statement then fails with this.
  if (error.name === 'QueryRunnerAlreadyReleasedError') return true;
  // e.g. 55000 "database … is not currently accepting connections" while connecting.
  if (isFatal(error)) return true;
  const code = codeOf(error);
  if (
    code &&
    (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_SOCKET_CODES.has(code))
  ) {
    return true;
  }
  const messages = chain(error).map((e) => (e instanceof Error ? e.message : ''));
  return messages.some((m) => UNAVAILABLE_MESSAGES.some((needle) => m.includes(needle)));
}

const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', 'ECONNRESET', 'EPIPE']);

/**
 * The connection died under the query (it never reached the server, or the server ended it): a
 * read may be retried at once on another pooled connection. Not a timeout: a database that did not
 * answer in time gets no second wait (DatabaseTimeoutError, pg-pool's connection timeout).
 */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { driverError?: Error };
  const code = codeOf(error);
  const messages = [e.message, e.driverError?.message ?? ''];
  return (
    (code !== undefined && CONNECTION_LOST_CODES.has(code)) ||
    messages.some((m) => /Connection terminated(?! due to connection timeout)|terminating connection/.test(m))
  );
}

export const SERIALIZATION_FAILURE = '40001';
export const DEADLOCK_DETECTED = '40P01';
export const UNIQUE_VIOLATION = '23505';

export function sqlState(error: unknown): string | undefined {
  return codeOf(error);
}

/** Maps infrastructure failures to a domain error; anything else is returned unchanged. */
export function translateInfrastructureError(error: unknown): unknown {
  return isDatabaseUnavailable(error)
    ? new ServiceUnavailableError('The database is unavailable; retry shortly.', error)
    : error;
}

/**
 * SQLSTATE class 22, "data exception": PostgreSQL refused a value (NUL in text 22021, a character with
 * no equivalent 22P05, a string too long 22001, a number or date out of range 22003/22008, a text it
 * cannot read as the type 22P02, …). Validation refuses such values first; reaching the database with
 * one is a gap in validation, and still the client's value, never a server fault.
 */
export function isDataException(error: unknown): boolean {
  return !isFatal(error) && (codeOf(error)?.startsWith('22') ?? false);
}

/** The last line of defence (issue 14, finding 3): a value refused by the database is a 400, not a 500. */
export class RefusedValueError extends AppError {
  constructor(cause: unknown) {
    super('BAD_REQUEST', 'A value in the request cannot be stored or compared by the database.', { cause });
  }
}

/** Maps a data exception to a `RefusedValueError`; anything else is returned unchanged. */
export function translateDataException(error: unknown): unknown {
  return isDataException(error) ? new RefusedValueError(error) : error;
}
