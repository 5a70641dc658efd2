import { applyDecorators, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor, IDEMPOTENT_OPTIONS, IdempotentOptions } from './idempotency.interceptor';
import { IdempotentReplayFilter } from './idempotent-replay.filter';

/**
 * Opts a route in to Idempotency-Key handling (one line). The route's service must do its work in
 * one `TransactionRunner.run(...)` and the controller must return the service's answer unchanged:
 * that answer is what is kept and replayed. The module declaring the controller imports IdempotencyModule.
 */
export const Idempotent = <T = unknown>(
  options: { headers?: (body: T) => Record<string, string> } = {},
): MethodDecorator =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_OPTIONS, options as IdempotentOptions),
    UseInterceptors(IdempotencyInterceptor),
    UseFilters(IdempotentReplayFilter),
  );
