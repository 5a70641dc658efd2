import { DEFAULT_LABELS, HTTP_LABEL, METRIC_NAMES } from '../../metrics/metric-names';
import type { ColourQueries } from './types';

// PromQL for one colour, from the RED series every Bulwark instance exports: the request counter and
// the request-duration histogram, both labelled with the instance's colour and version. The names
// come from the service's own constants (src/metrics/metric-names.ts, the only service file the tool
// imports), so a renamed series changes these queries with it. `color` alone would match every
// Bulwark scraped by the same Prometheus (other namespaces, other releases); the colour's version
// narrows it to the instances being rolled out.

const REQUESTS = METRIC_NAMES.httpRequestsTotal;
/** Prometheus' name for a histogram's cumulative bucket counters. */
const DURATION_BUCKETS = `${METRIC_NAMES.httpRequestDurationSeconds}_bucket`;

export interface QueryOptions {
  /** The colour (engine bulwark); absent for the Argo Rollout, whose pods the version tells apart. */
  color?: string | null;
  /** The version the colour runs (its `app_version` label); null/undefined when unknown. */
  version?: string | null;
  /** The Kubernetes namespace of the instances (the `namespace` label Prometheus adds). */
  namespace?: string | null;
  /** A Prometheus range such as `30s` or `1m`. */
  window: string;
  /**
   * Extra label matchers, e.g. `route!~"/metrics|/health/.*"`: scrapes and probes reach every
   * instance directly, whatever the weight, and would otherwise count as canary traffic.
   */
  extraMatchers?: string;
}

/** The label Prometheus' Kubernetes discovery (and the prometheus-operator) give every target's namespace. */
export const NAMESPACE_LABEL = 'namespace';

export const DEFAULT_EXTRA_MATCHERS = `${HTTP_LABEL.route}!~"/metrics|/health/.*"`;

/** A PromQL string literal's content: backslashes and double quotes escaped. */
const literal = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function selector(o: QueryOptions, more = ''): string {
  const parts: string[] = [];
  if (o.namespace) parts.push(`${NAMESPACE_LABEL}="${literal(o.namespace)}"`);
  if (o.color) parts.push(`${DEFAULT_LABELS.color}="${literal(o.color)}"`);
  if (o.version) parts.push(`${DEFAULT_LABELS.appVersion}="${literal(o.version)}"`);
  if (o.extraMatchers) parts.push(o.extraMatchers);
  if (more) parts.push(more);
  return `{${parts.join(',')}}`;
}

export function buildQueries(o: QueryOptions): ColourQueries {
  const all = selector(o);
  const errors = selector(o, `${HTTP_LABEL.statusCode}=~"5.."`);
  return {
    requests: `sum(increase(${REQUESTS}${all}[${o.window}]))`,
    // `or vector(0)`: with no 5xx series at all the numerator would be empty and so the ratio.
    errorRate: `(sum(increase(${REQUESTS}${errors}[${o.window}])) or vector(0)) / sum(increase(${REQUESTS}${all}[${o.window}]))`,
    p95: `histogram_quantile(0.95, sum by (le) (rate(${DURATION_BUCKETS}${all}[${o.window}])))`,
  };
}
