import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How much longer than `DB_STATEMENT_TIMEOUT_MS` the client waits for an answer. The server cancels
 * a statement at the statement timeout and says so (57014); the margin gives that answer time to
 * arrive. A server that does not answer at all (frozen, partitioned, failing over) cannot enforce its
 * own timeout: the client stops waiting at this bound instead.
 */
export const CLIENT_TIMEOUT_MARGIN_MS = 500;

/** The most one request (or one background query) waits on the database, all waits together. */
export function databaseWaitBudgetMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS;
}

interface Scope {
  /** `performance.now()` past which the scope may not wait on the database; set by its first wait. */
  deadline?: number;
  /** No client-side bound (a session that set `statement_timeout = 0` on purpose, e.g. migrations). */
  unbounded?: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * Runs `work` as one request: every database wait in it (a place in the transaction admission, a
 * pooled connection, each statement) draws on one budget, which its first wait starts. Without it a
 * request could wait its full bound at each step in turn: admitted just before its bound, then a
 * pooled connection to a silent server, then that statement's bound.
 */
export function runAsRequest<T>(work: () => T): T {
  return scopes.run({}, work);
}

/** Runs `work` without client-side bounds (only for sessions that lift the server's timeouts too). */
export function runUnbounded<T>(work: () => T): T {
  return scopes.run({ unbounded: true }, work);
}

/**
 * How long the next database wait may last: `ownBoundMs`, or less when the request it serves has less
 * of its `budgetMs` left (0: none left, fail without waiting); `undefined` inside `runUnbounded`.
 * Outside any request (background jobs) every wait gets its own bound.
 */
export function waitBoundMs(ownBoundMs: number, budgetMs: number): number | undefined {
  const scope = scopes.getStore();
  if (!scope) return ownBoundMs;
  if (scope.unbounded) return undefined;
  const now = performance.now();
  scope.deadline ??= now + budgetMs;
  return Math.max(0, Math.min(ownBoundMs, Math.round(scope.deadline - now)));
}
