import { backoffDelayMs } from './backoff';
import { CircuitOpenError } from './breaker-registry';
import { WebhookUrlRefused } from './url-guard';
import { SendFailure } from './webhook-sender';

/** The receiver answered, but not with a 2xx. */
export class ReceiverRefused extends Error {
  constructor(readonly statusCode: number) {
    super(`receiver answered ${statusCode}`);
    this.name = 'ReceiverRefused';
  }
}

/** Too little of the claim's lease is left to send and record the outcome before it runs out. */
export class LeaseRanShort extends Error {
  constructor(readonly leaseLeftMs: number) {
    super('lease too short to send');
    this.name = 'LeaseRanShort';
  }
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The dispatcher's poll interval: a postponed delivery is not due again sooner. */
  pollIntervalMs: number;
}

/** What a failed attempt means for the delivery. */
export type FailureOutcome =
  /** Not an attempt: nothing was sent (the endpoint's breaker is open). Due again after `waitMs`. */
  | { kind: 'postponed'; waitMs: number; reason: string }
  /** Not an attempt either: the claim is handed back, due again at once under a fresh lease. */
  | { kind: 'handed-back'; leaseLeftMs: number; reason: string }
  /**
   * A spent attempt: retried after `retryInMs`, or `dead` when it was the last one allowed.
   * `expected` is false for a failure of our own (a bug, a secret that does not decrypt): it is
   * logged as an error, and the reason stored for the admin says no more than "internal error".
   */
  | {
      kind: 'failed';
      dead: boolean;
      retryInMs: number;
      statusCode: number | null;
      reason: string;
      expected: boolean;
    };

/**
 * Classifies why one delivery attempt did not end in a 2xx. Pure: no I/O, the randomness of the
 * jitter is a parameter. The dispatcher records what this says.
 */
export function classifyFailure(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureOutcome {
  if (error instanceof CircuitOpenError) {
    // Come back when the breaker may let a probe through, spread over a poll interval.
    const waitMs = Math.max(error.retryInMs, policy.pollIntervalMs) + random() * policy.pollIntervalMs;
    return { kind: 'postponed', waitMs, reason: 'circuit breaker open' };
  }
  if (error instanceof LeaseRanShort) {
    return {
      kind: 'handed-back',
      leaseLeftMs: error.leaseLeftMs,
      reason: 'claim handed back: lease too short to send',
    };
  }
  const expected =
    error instanceof ReceiverRefused || error instanceof SendFailure || error instanceof WebhookUrlRefused;
  const dead = attempt >= policy.maxAttempts;
  return {
    kind: 'failed',
    dead,
    retryInMs: dead ? 0 : backoffDelayMs(attempt, policy.baseDelayMs, policy.maxDelayMs, random),
    statusCode: error instanceof ReceiverRefused ? error.statusCode : null,
    reason: expected ? (error as Error).message : 'internal error preparing the delivery',
    expected,
  };
}
