import type { ColourQueries } from './types';

// PromQL for one colour, from the metrics every Bulwark instance exports (CONTRACT section 3):
// http_requests_total and the http_request_duration_seconds histogram, both labelled `color` and
// `app_version`. `color` alone would match every Bulwark scraped by the same Prometheus (other
// namespaces, other releases); the colour's version narrows it to the instances being rolled out.

export interface QueryOptions {
  color: string;
  /** The version the colour runs (its `app_version` label); null/undefined when unknown. */
  version?: string | null;
  /** A Prometheus range such as `30s` or `1m`. */
  window: string;
  /**
   * Extra label matchers, e.g. `route!~"/metrics|/health/.*"`: scrapes and probes reach every
   * instance directly, whatever the weight, and would otherwise count as canary traffic.
   */
  extraMatchers?: string;
}

export const DEFAULT_EXTRA_MATCHERS = 'route!~"/metrics|/health/.*"';

/** A PromQL string literal's content: backslashes and double quotes escaped. */
const literal = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function selector(o: QueryOptions, more = ''): string {
  const parts = [`color="${literal(o.color)}"`];
  if (o.version) parts.push(`app_version="${literal(o.version)}"`);
  if (o.extraMatchers) parts.push(o.extraMatchers);
  if (more) parts.push(more);
  return `{${parts.join(',')}}`;
}

export function buildQueries(o: QueryOptions): ColourQueries {
  const all = selector(o);
  const errors = selector(o, 'status_code=~"5.."');
  return {
    requests: `sum(increase(http_requests_total${all}[${o.window}]))`,
    // `or vector(0)`: with no 5xx series at all the numerator would be empty and so the ratio.
    errorRate: `(sum(increase(http_requests_total${errors}[${o.window}])) or vector(0)) / sum(increase(http_requests_total${all}[${o.window}]))`,
    p95: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${all}[${o.window}])))`,
  };
}
