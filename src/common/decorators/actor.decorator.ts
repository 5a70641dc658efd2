import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser, userOf } from '../auth-user';

/** Who is acting and under which request: what services need for authorisation and audit entries. */
export interface Actor {
  /** Undefined on public routes (e.g. register, login). */
  user?: AuthenticatedUser;
  requestId: string;
  /** Client address (honours X-Forwarded-For only when TRUST_PROXY=true). */
  ip: string;
}

export function actorOf(request: FastifyRequest): Actor {
  return { user: userOf(request), requestId: request.id, ip: request.ip };
}

/** `@CurrentActor() actor: Actor` in a controller method. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor =>
  actorOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
