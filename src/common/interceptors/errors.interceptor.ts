import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, catchError, throwError } from 'rxjs';
import { AppError } from '../errors/app-error';
import { translateInfrastructureError } from '../errors/database-errors';
import { malformedBodyDetail } from '../http/malformed-body';

/**
 * Runs after the guards: rejects a malformed or too deeply nested body (deferred by the lenient parser so that a missing
 * token answers 401 first), and turns infrastructure failures of the handler (database unreachable,
 * statement or lock timeouts) into `SERVICE_UNAVAILABLE` domain errors for the filter.
 */
@Injectable()
export class ErrorsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const malformed = malformedBodyDetail(request);
    if (malformed !== undefined) throw new AppError('MALFORMED_JSON', malformed);
    return next
      .handle()
      .pipe(catchError((error: unknown) => throwError(() => translateInfrastructureError(error))));
  }
}
