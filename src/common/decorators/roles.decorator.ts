import { SetMetadata } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth-user';

export const ROLES = 'bulwark:roles';

/** Restricts a route to the given roles (checked after authentication; otherwise 403). */
export const Roles = (...roles: Array<AuthenticatedUser['role']>): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES, roles);
