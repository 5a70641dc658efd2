import { AppError } from '../common/errors/app-error';
import { isKeptOutcome } from './idempotency.participant';

describe('which outcomes an idempotency key keeps', () => {
  it('keeps business outcomes (404, 409, 412, 422)', () => {
    for (const code of [
      'INSUFFICIENT_STOCK',
      'UNKNOWN_PRODUCT',
      'INVALID_STATE_TRANSITION',
      'NOT_FOUND',
      'PRECONDITION_FAILED',
    ] as const) {
      expect(isKeptOutcome(new AppError(code))).toBe(true);
    }
  });

  it('never keeps validation, auth, rate limits, idempotency conflicts, 5xx or unknown errors', () => {
    for (const code of [
      'VALIDATION_FAILED',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'RATE_LIMITED',
      'IDEMPOTENCY_IN_PROGRESS',
      'IDEMPOTENCY_KEY_REUSED',
      'SERVICE_UNAVAILABLE',
      'INTERNAL_ERROR',
    ] as const) {
      expect(isKeptOutcome(new AppError(code))).toBe(false);
    }
    expect(isKeptOutcome(new Error('boom'))).toBe(false);
  });
});
