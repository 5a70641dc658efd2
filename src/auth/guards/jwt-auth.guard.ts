import { createSecretKey, KeyObject } from 'node:crypto';
import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../../common/auth-user';
import { handlerMetadata } from '../../common/decorators/handler-metadata';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AppError } from '../../common/errors/app-error';
import { translateInfrastructureError } from '../../common/errors/database-errors';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { AccessClaims, JWT_SECRET_OF_REQUEST, JWT_STRATEGY } from '../jwt.strategy';
import { currentScope } from '../../database/wait-budget';
import { SessionsService } from '../../sessions/sessions.service';

/**
 * The global authentication guard (deny by default): every route needs a valid access token unless
 * marked `@Public()`. After the token is verified, one indexed query checks that its login (`sid`)
 * is live and its user enabled, and takes the role from the user row.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  /**
   * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries to parse it as a
   * PEM public key on every verification (and fails), which cost a fifth of the CPU of an
   * authenticated request in the bench (docs/performance.md).
   */
  private key?: KeyObject;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (handlerMetadata<boolean>(this.reflector, IS_PUBLIC, context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const slot = request as unknown as Record<symbol, KeyObject | undefined>;
    if (!this.key && this.config.jwtSecret)
      this.key = createSecretKey(Buffer.from(this.config.jwtSecret, 'utf8'));
    slot[JWT_SECRET_OF_REQUEST] = this.key;
    try {
      await super.canActivate(context);
    } finally {
      delete slot[JWT_SECRET_OF_REQUEST];
    }
    const claims = request.user as AccessClaims;
    let caller: AuthenticatedUser | undefined;
    try {
      caller = await this.sessions.findCaller(claims.sid, claims.sub);
    } catch (error) {
      throw translateInfrastructureError(error);
    }
    if (!caller) throw new AppError('UNAUTHENTICATED', 'The access token is no longer valid.');
    request.user = caller;
    // Every log line written for the rest of the request names the caller (src/logging/logger.ts).
    const scope = currentScope();
    if (scope) scope.userId = caller.id;
    return true;
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error instanceof AppError) throw error;
    if (error) throw error;
    if (!user) throw new AppError('UNAUTHENTICATED', 'A valid access token is required.');
    return user;
  }
}
