import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, catchError, throwError } from 'rxjs';
import { AppError } from '../errors/app-error';
import { translateInfrastructureError } from '../errors/database-errors';
import { hasMalformedBody } from '../http/malformed-body';

/**
 * Runs after the guards: rejects a malformed body (deferred by the lenient parser so that a missing
 * token answers 401 first), and turns infrastructure failures of the handler (database unreachable,
 * statement or lock timeouts) into `SERVICE_UNAVAILABLE` domain errors for the filter.
 */
@Injectable()
export class ErrorsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (hasMalformedBody(request)) {
      throw new AppError('MALFORMED_JSON', 'The request body is not valid JSON.');
    }
    return next
      .handle()
      .pipe(catchError((error: unknown) => throwError(() => translateInfrastructureError(error))));
  }
}
