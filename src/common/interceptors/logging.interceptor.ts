import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { Observable } from 'rxjs';
import { userOf } from '../auth-user';

/**
 * Once the guards know the caller, binds the user id to the request's logger, so every line written
 * while the request is handled carries it beside the request id. The one-line-per-request access log
 * is written from Fastify's `onResponse` hook (src/logging/access-log.ts): that hook also sees the
 * requests no handler ever gets (unknown routes, 413, parse failures), which an interceptor cannot.
 */
@Injectable()
export class LoggingInterceptor implements NestInterceptor {
  constructor(private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const user = userOf(request);
    if (!user) return next.handle();
    // On the Fastify adapter the per-request logging context of nestjs-pino's middleware is not
    // active any more when guards and interceptors run (`assign` would throw "out of request
    // scope"), so the handler runs in a context of its own, inheriting the current one if any.
    const bindings = { requestId: request.id, userId: user.id };
    return new Observable((subscriber) =>
      this.logger.runInContext(() => next.handle().subscribe(subscriber), { bindings, inherit: true }),
    );
  }
}
