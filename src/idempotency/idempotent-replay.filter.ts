import { ArgumentsHost, Catch, ExceptionFilter, Inject, Optional } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { IdempotentReplay, REPLAYED_HEADER } from './stored-response';

/**
 * Sends a kept answer: its status, body and headers as first sent, plus `Idempotent-Replayed: true`.
 * A filter (not the interceptor) because Nest sets the route's own status on whatever an interceptor
 * returns, and a kept answer may be a 409 on a route that answers 201.
 */
@Catch(IdempotentReplay)
export class IdempotentReplayFilter implements ExceptionFilter {
  constructor(@Optional() @Inject(MetricsService) private readonly metrics?: MetricsService) {}

  catch(replay: IdempotentReplay, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    this.metrics?.idempotencyReplays.inc();
    const { statusCode, body, headers } = replay.response;
    void reply
      .headers({ ...headers, [REPLAYED_HEADER]: 'true' })
      .code(statusCode)
      .send(body);
  }
}
