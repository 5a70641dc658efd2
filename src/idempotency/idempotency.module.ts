import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyParticipant } from './idempotency.participant';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotentReplayFilter } from './idempotent-replay.filter';

/** Idempotency keys for any route that opts in with `@Idempotent()`; import this module beside it. */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [
    IdempotencyRepository,
    IdempotencyParticipant,
    IdempotencyInterceptor,
    IdempotentReplayFilter,
    IdempotencyPurgeJob,
  ],
  exports: [IdempotencyRepository, IdempotencyInterceptor, IdempotentReplayFilter],
})
export class IdempotencyModule {}
