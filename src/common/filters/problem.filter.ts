import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { translateInfrastructureError } from '../errors/database-errors';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../http/problem';

/** Sends a problem answer; shared by the Nest filter and Fastify's own error handler. */
export function sendProblem(
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const { problem, headers, unexpected, refusedByDatabase } = toProblem(thrown, request.id);
  if (unexpected) {
    logger.error({ err: thrown, requestId: request.id, path: request.url.split('?')[0] }, 'unexpected error');
  } else if (refusedByDatabase) {
    // Answered 400, but validation should have refused the value before the database did.
    logger.warn(
      { err: thrown, requestId: request.id, path: request.url.split('?')[0] },
      'the database refused a value of the request',
    );
  }
  if (reply.sent) return;
  void reply.headers(headers).code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * The one exception filter: every failure that reaches Nest leaves as RFC 9457 problem+json.
 * AppModule builds it with the process's logger (src/common/ imports nothing of ours from outside).
 * A database outage (unreachable, statement or lock timeout) becomes `SERVICE_UNAVAILABLE` here, for
 * whatever part of the request met it (an interceptor did this for handlers; the guards translate
 * their own).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      translateInfrastructureError(exception),
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      this.logger,
    );
  }
}
