import type { FastifyInstance } from 'fastify';
import { routeTemplate } from '../logging/route-template';
import type { MetricsService } from './metrics.service';

/**
 * The RED series, counted in Fastify's `onResponse` hook: it sees every answer, including those no
 * Nest handler produced (unknown routes, 413, body-parse failures, guard rejections). The `route`
 * label is the route template (`/v1/orders/:id`), never the raw path, and every unmatched path shares
 * one value (`UNMATCHED_ROUTE`), so label cardinality stays bounded whatever clients send.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  // Server-error series of every API route exist from the start, at 0 (see initializeServerErrors).
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1')) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS') metrics.initializeServerErrors(method, route.url);
    }
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(
      request.method,
      routeTemplate(request),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
