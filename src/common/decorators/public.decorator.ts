import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'bulwark:isPublic';

/** Marks a route as reachable without an access token (deny by default everywhere else). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
