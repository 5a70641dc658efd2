import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the interceptor knows about the idempotent request being handled, carried to the transaction
 * participant through AsyncLocalStorage (the business services never see it).
 */
export interface IdempotencyContext {
  userId: string;
  key: string;
  fingerprint: string;
  requestId: string;
  /** The status the route answers on success (its `@HttpCode`, else 201 for POST). */
  successStatus: number;
  /** Headers to store with a success answer (e.g. `Location`), computed from the returned body. */
  successHeaders: (body: unknown) => Record<string, string>;
  /** Set once a transaction of this request has committed its record: later ones run untouched. */
  settled: boolean;
}

export const idempotencyScope = new AsyncLocalStorage<IdempotencyContext>();
