import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import { malformedBodyDetail } from './malformed-body';

/**
 * The last global guard (after authentication, roles and rate limits): rejects a malformed, too deep
 * or too large body, which the lenient parser deferred so that a missing token answers 401 first
 * (src/common/http/malformed-body.ts). A guard rather than an interceptor: with no global
 * interceptor, Nest calls a route's handler without building an rxjs chain per request
 * (docs/performance.md).
 */
@Injectable()
export class MalformedBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const malformed = malformedBodyDetail(context.switchToHttp().getRequest<FastifyRequest>());
    if (malformed !== undefined) throw new AppError('MALFORMED_JSON', malformed);
    return true;
  }
}
