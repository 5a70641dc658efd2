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

export interface Scope {
  /** Milliseconds this scope has waited on the database so far. */
  spentMs: number;
  /** No client-side bound (a session that set `statement_timeout = 0` on purpose, e.g. migrations). */
  unbounded?: boolean;
  /** The HTTP request this scope serves (its id, and its caller once authenticated): put on log lines. */
  requestId?: string;
  userId?: string;
}

/**
 * One AsyncLocalStorage for everything per request (the wait budget, the log context): entering a
 * store costs per request, so there is only one to enter.
 */
const scopes = new AsyncLocalStorage<Scope>();

/** The scope of the request (or background query) being run, if any. */
export function currentScope(): Scope | undefined {
  return scopes.getStore();
}

/**
 * Runs `work` as one request: its database waits (a place in the transaction admission, a pooled
 * connection, the answer to each statement) draw on one budget. Without it a request could wait its
 * full bound at each step in turn: admitted just before its bound, then a pooled connection to a
 * silent server, then that statement's bound. Only waiting counts, not the request's own work in
 * between (e.g. checking a password hash).
 */
export function runAsRequest<T>(work: () => T, requestId?: string): T {
  return scopes.run({ spentMs: 0, requestId }, work);
}

/** Runs `work` without client-side bounds (only for sessions that lift the server's timeouts too). */
export function runUnbounded<T>(work: () => T): T {
  return scopes.run({ spentMs: 0, unbounded: true }, work);
}

export interface DatabaseWait {
  /** How long this wait may last (0: no budget left, fail without waiting); undefined: no bound. */
  readonly boundMs: number | undefined;
  /**
   * Counts the time waited against the request's budget; call when the wait is over, either way.
   * `cutOff`: the wait ended because its bound elapsed, so it used the whole bound (a timer may fire
   * a fraction of a millisecond before the clock says the bound has passed: that sliver is not budget
   * left for the next wait).
   */
  end(cutOff?: boolean): void;
}

const UNBOUNDED: DatabaseWait = { boundMs: undefined, end: () => undefined };

/**
 * Starts a database wait whose own bound is `ownBoundMs`: inside a request it gets no more than what
 * is left of the request's `budgetMs`. Outside any request (background jobs) every wait gets its own
 * bound.
 */
export function beginWait(ownBoundMs: number, budgetMs: number): DatabaseWait {
  const scope = scopes.getStore();
  if (!scope) return { boundMs: ownBoundMs, end: () => undefined };
  if (scope.unbounded) return UNBOUNDED;
  const started = performance.now();
  const boundMs = Math.max(0, Math.min(ownBoundMs, Math.round(budgetMs - scope.spentMs)));
  let ended = false;
  return {
    boundMs,
    end: (cutOff = false) => {
      if (ended) return;
      ended = true;
      const waited = performance.now() - started;
      scope.spentMs += cutOff ? Math.max(waited, boundMs) : waited;
    },
  };
}
