import { CircuitOpenError } from './breaker-registry';
import { classifyFailure, LeaseRanShort, ReceiverRefused, RetryPolicy } from './delivery-failure';
import { WebhookUrlRefused } from './url-guard';
import { SendFailure } from './webhook-sender';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000, pollIntervalMs: 250 };
const half = () => 0.5;

describe('classifyFailure', () => {
  it('an open breaker postpones without spending the attempt, not before the breaker may probe', () => {
    expect(classifyFailure(new CircuitOpenError(5000), 2, policy, half)).toEqual({
      kind: 'postponed',
      waitMs: 5000 + 125,
      reason: 'circuit breaker open',
    });
    // A breaker about to half-open still waits a poll interval (plus jitter).
    expect(classifyFailure(new CircuitOpenError(10), 2, policy, () => 0)).toMatchObject({ waitMs: 250 });
  });

  it('a lease too short hands the claim back unsent', () => {
    expect(classifyFailure(new LeaseRanShort(400), 1, policy)).toEqual({
      kind: 'handed-back',
      leaseLeftMs: 400,
      reason: 'claim handed back: lease too short to send',
    });
  });

  it.each([
    ['a non-2xx answer', new ReceiverRefused(503), 503, 'receiver answered 503'],
    ['an unreachable receiver', new SendFailure('connect ECONNREFUSED'), null, 'connect ECONNREFUSED'],
    [
      'a refused URL',
      new WebhookUrlRefused('resolves to a private address'),
      null,
      'resolves to a private address',
    ],
  ])('%s is a spent attempt, retried with backoff', (_what, error, statusCode, reason) => {
    expect(classifyFailure(error, 1, policy, half)).toEqual({
      kind: 'failed',
      dead: false,
      retryInMs: 750, // equal jitter in [500, 1000]
      statusCode,
      reason,
      expected: true,
    });
  });

  it('the last allowed attempt ends dead, with no retry', () => {
    expect(classifyFailure(new ReceiverRefused(500), 3, policy)).toMatchObject({
      kind: 'failed',
      dead: true,
      retryInMs: 0,
    });
  });

  it('a failure of our own is unexpected and stores no internal detail', () => {
    const outcome = classifyFailure(
      new Error('Unsupported state or unable to authenticate data'),
      1,
      policy,
      half,
    );
    expect(outcome).toMatchObject({
      kind: 'failed',
      expected: false,
      statusCode: null,
      reason: 'internal error preparing the delivery',
    });
  });
});
