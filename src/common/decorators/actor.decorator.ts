import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser, userOf } from '../auth-user';
import { AppError } from '../errors/app-error';
import { clientAddress } from '../http/client-address';

/** Who is acting and under which request: what services need for authorisation and audit entries. */
export interface Actor {
  /** Undefined on public routes (e.g. register, login). */
  user?: AuthenticatedUser;
  requestId: string;
  /** Client address: the socket's peer, or what the trusted proxies (TRUST_PROXY) say it is. */
  ip: string;
}

export function actorOf(request: FastifyRequest): Actor {
  return { user: userOf(request), requestId: request.id, ip: clientAddress(request) };
}

/** The signed-in caller of a guarded route (the guard guarantees one; 401 if a route was left public by mistake). */
export function requireUser(actor: Actor): AuthenticatedUser {
  if (!actor.user) throw new AppError('UNAUTHENTICATED');
  return actor.user;
}

/** `@CurrentActor() actor: Actor` in a controller method. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor =>
  actorOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
