import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/** Per controller class, per handler, per metadata key: the value `getAllAndOverride` answers. */
const cache = new WeakMap<object, WeakMap<object, Map<string | symbol, unknown>>>();

/**
 * `reflector.getAllAndOverride(key, [handler, class])`, looked up once per route and kept:
 * decorators' metadata is fixed once the application is built, and the global guards ask for it on
 * every request (reflect-metadata's lookups showed in the bench's profile, docs/performance.md).
 */
export function handlerMetadata<T>(
  reflector: Reflector,
  key: string | symbol,
  context: ExecutionContext,
): T | undefined {
  const handler = context.getHandler();
  const cls = context.getClass();
  let byHandler = cache.get(cls);
  if (!byHandler) cache.set(cls, (byHandler = new WeakMap()));
  let values = byHandler.get(handler);
  if (!values) byHandler.set(handler, (values = new Map()));
  if (values.has(key)) return values.get(key) as T | undefined;
  const value = reflector.getAllAndOverride<T | undefined>(key, [handler, cls]);
  values.set(key, value);
  return value;
}
