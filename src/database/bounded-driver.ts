import * as pg from 'pg';
import { DatabaseTimeoutError } from '../common/errors/database-errors';
import { beginWait, DatabaseWait } from './wait-budget';

type AcquireCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  release: (release?: unknown) => void,
) => void;
type QueryCallback = (err: Error | null, result?: unknown) => void;

/**
 * A pg client whose every wait is bounded on the client side, whatever the server does
 * (https://node-postgres.com/apis/client):
 * - connecting: `connectTimeoutMs` (pg's `connectionTimeoutMillis`);
 * - each statement: `budgetMs`, or what is left of the request's budget (wait-budget.ts). pg's own
 *   `query_timeout` only stops waiting: the connection stays busy with the unanswered statement and
 *   would be handed to the next caller. Here a statement that runs out of time ends its connection
 *   at once: the pool drops it, and the server, when it answers again, sees the client gone and rolls
 *   back whatever was not yet committed. Whether a COMMIT already sent took effect is unknown to the
 *   caller (DatabaseTimeoutError says so; it is a 503, never a guess).
 * Cursors and streams (`Submittable`) are not bounded here; the service uses none.
 */
export function boundedClient(connectTimeoutMs: number, budgetMs: number): typeof pg.Client {
  return class BoundedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({
        ...(typeof config === 'string' ? { connectionString: config } : config),
        connectionTimeoutMillis: connectTimeoutMs,
      });
    }

    // pg's overloads (promise, callback, Submittable) cannot be restated one by one in an override.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const send = (): unknown => Reflect.apply(super.query, this, args);
      const first = args[0] as { submit?: unknown } | undefined;
      if (typeof first?.submit === 'function') return send();
      const wait = beginWait(budgetMs, budgetMs);
      if (wait.boundMs === undefined) return send();
      const callback =
        typeof args[args.length - 1] === 'function' ? (args.pop() as QueryCallback) : undefined;
      const answer =
        wait.boundMs > 0
          ? this.bounded(send() as Promise<unknown>, wait)
          : this.refuse(new DatabaseTimeoutError('statement', 0));
      if (!callback) return answer;
      answer.then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
      return undefined;
    }

    private bounded(pending: Promise<unknown>, wait: DatabaseWait): Promise<unknown> {
      const boundMs = wait.boundMs as number;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          wait.end(true);
          reject(new DatabaseTimeoutError('statement', boundMs));
          this.discard();
        }, boundMs);
        pending.then(
          (result) => {
            clearTimeout(timer);
            wait.end();
            resolve(result);
          },
          (error: unknown) => {
            clearTimeout(timer);
            wait.end();
            reject(error as Error);
          },
        );
      });
    }

    /**
     * A statement refused for want of budget may be one of a transaction under way: the connection
     * must not go back to the pool inside it (TypeORM's ROLLBACK would be refused the same way).
     */
    private refuse(error: DatabaseTimeoutError): Promise<never> {
      this.discard();
      return Promise.reject(error);
    }

    /** Ends the connection without waiting for the server: `end()` alone says goodbye and waits. */
    private discard(): void {
      this.end().catch(() => undefined);
      this.connection.stream.destroy();
    }
  };
}

/**
 * A pg-pool whose wait for a connection (in its queue, or opening a new one) is also cut short when
 * the request it serves has less budget left than the pool's own `connectionTimeoutMillis`. A
 * connection that arrives after its caller gave up goes straight back to the pool.
 */
export function budgetedPool(budgetMs: number): typeof pg.Pool {
  return class BudgetedPool extends pg.Pool {
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: AcquireCallback): void;
    override connect(callback?: AcquireCallback): Promise<pg.PoolClient> | void {
      const queueMs = this.options.connectionTimeoutMillis ?? budgetMs;
      const wait = beginWait(queueMs, budgetMs);
      const acquire = (done: AcquireCallback): void => {
        const boundMs = wait.boundMs;
        if (boundMs === undefined || boundMs >= queueMs) {
          // The pool's own bound is the shorter: its queue timeout decides.
          super.connect((err, client, release) => {
            wait.end();
            done(err, client, release);
          });
          return;
        }
        if (boundMs <= 0) {
          process.nextTick(() => done(new DatabaseTimeoutError('connection', 0), undefined, noop));
          return;
        }
        let settled = false;
        const timer = setTimeout(() => {
          settled = true;
          wait.end(true);
          done(new DatabaseTimeoutError('connection', boundMs), undefined, noop);
        }, boundMs);
        super.connect((err, client, release) => {
          if (settled) {
            if (!err) release();
            return;
          }
          settled = true;
          clearTimeout(timer);
          wait.end();
          done(err, client, release);
        });
      };
      if (callback) return acquire(callback);
      return new Promise((resolve, reject) =>
        acquire((err, client) => (err || !client ? reject(err) : resolve(client))),
      );
    }
  };
}

function noop(): void {}

/**
 * The `pg` module as TypeORM's `driver` option (it builds its pool with `new driver.Pool(...)`),
 * with the budgeted pool; the pool's clients are set through the pool's `Client` option.
 */
export function boundedDriver(budgetMs: number): typeof pg {
  return { ...pg, Pool: budgetedPool(budgetMs) };
}
