const UNMATCHED_ROUTE = 'unmatched';

/** The route template (`/v1/orders/:id`), never the raw path: bounded for logs, metric labels and span names. */
export function routeTemplate(request: { routeOptions?: { url?: string } }): string {
  return request.routeOptions?.url ?? UNMATCHED_ROUTE;
}
