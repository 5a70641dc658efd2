import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser, userOf } from '../../common/auth-user';
import { handlerMetadata } from '../../common/decorators/handler-metadata';
import { ROLES } from '../../common/decorators/roles.decorator';
import { AppError } from '../../common/errors/app-error';

/** `@Roles('admin')`: after authentication, a caller without one of the roles gets 403. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const roles = handlerMetadata<Array<AuthenticatedUser['role']>>(this.reflector, ROLES, context);
    if (!roles || roles.length === 0) return true;
    const user = userOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (!user) throw new AppError('UNAUTHENTICATED', 'A valid access token is required.');
    if (!roles.includes(user.role)) throw new AppError('FORBIDDEN', 'Your role may not do this.');
    return true;
  }
}
