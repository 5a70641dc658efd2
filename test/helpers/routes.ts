import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IS_PUBLIC } from '../../src/common/decorators/public.decorator';
import { ROLES } from '../../src/common/decorators/roles.decorator';

export interface RegisteredRoute {
  method: string;
  path: string;
}

/**
 * Every route the HTTP server answers, read from Fastify's own route table (so routes registered
 * outside Nest controllers — docs UI, metrics — are included). HEAD and OPTIONS are left out.
 */
export function fastifyRoutes(app: NestFastifyApplication): RegisteredRoute[] {
  const text = app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of text.split('\n')) {
    const match = /^(.*?)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = Math.round(match[1].length / 4);
    stack.length = depth;
    stack.push(match[2]);
    if (!match[3]) continue;
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of match[3].split(',').map((m) => m.trim())) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, path });
    }
  }
  return routes;
}

export interface ControllerRoute extends RegisteredRoute {
  controller: string;
  handler: string;
  isPublic: boolean;
  roles: string[];
}

function joinPath(...parts: Array<string | string[] | undefined>): string {
  const segments = parts.flatMap((p) => (Array.isArray(p) ? p[0] : p) ?? '').join('/');
  return `/${segments}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}

/** Every route declared by a Nest controller, with its `@Public()` and `@Roles()` metadata. */
export function controllerRoutes(app: NestFastifyApplication): ControllerRoute[] {
  const routes: ControllerRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || path === undefined) continue;
        const meta = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) as T | undefined) ??
          (Reflect.getMetadata(key, controller) as T | undefined);
        routes.push({
          method: RequestMethod[method],
          path: joinPath(base, path),
          controller: controller.name,
          handler: name,
          isPublic: meta<boolean>(IS_PUBLIC) === true,
          roles: meta<string[]>(ROLES) ?? [],
        });
      }
    }
  }
  return routes;
}

/** A concrete URL for a route template (`:id` → a well-formed id that exists nowhere). */
export function concrete(path: string): string {
  return path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
}
