import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { tracing } from '../tracing/tracing';
import { runAsRequest } from './wait-budget';

/**
 * Every route handler runs as one request for the database wait budget (wait-budget.ts).
 * Handlers are wrapped as routes are added, so everything Nest runs for a route (guards,
 * interceptors, pipes, the handler, its transaction) shares one budget, and every log line written
 * meanwhile carries the request id (and the caller, once the guard knows it: src/logging/logger.ts). Must be installed before
 * the routes are registered (`app.init()`).
 */
export function installRequestScopes(fastify: FastifyInstance): void {
  const traces = tracing();
  fastify.addHook('onRoute', (route) => {
    const handler: RouteHandlerMethod = route.handler;
    route.handler = traces
      ? function scopedAndTraced(this: FastifyInstance, request, reply) {
          // With tracing on (docs/tracing.md) the handler also runs inside the request's span.
          return traces.runInRequest(request, () =>
            runAsRequest(() => handler.call(this, request, reply), request.id),
          );
        }
      : function scoped(this: FastifyInstance, request, reply) {
          return runAsRequest(() => handler.call(this, request, reply), request.id);
        };
  });
}
