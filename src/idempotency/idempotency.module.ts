import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyParticipant } from './idempotency.participant';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotentReplayFilter } from './idempotent-replay.filter';

/** Idempotency keys for any route that opts in with `@Idempotent()`; import this module beside it. */
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey])],
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
