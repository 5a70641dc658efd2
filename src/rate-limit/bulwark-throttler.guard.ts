import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppError } from '../common/errors/app-error';

/**
 * The throttler guard, registered after authentication so the default limit can count per user.
 * Over a limit → 429 `RATE_LIMITED` problem with `Retry-After` (seconds), through the one filter.
 */
@Injectable()
export class BulwarkThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    throw new AppError('RATE_LIMITED', `Too many requests; retry in ${seconds} s.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }
}
