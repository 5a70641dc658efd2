import { ARGO_ARGS, argoQueries, substituteArgs } from '../analysis/argo';
import { parseSampleValue } from '../providers/prometheus';
import type { ColourQueries } from '../analysis';

// Engine argo's AnalysisTemplate queries (src/rollout/analysis/argo.ts, the chart's
// files/analysis-queries.json), with their arguments filled in as the controller fills them, read
// from the rehearsal's own Prometheus right after each round of the tool: the rehearsal spec then
// holds the chart's success and failure conditions against these results and checks that Argo would
// judge the canary as the tool did. The results are what Argo's Prometheus provider hands its
// conditions: the vector's values (`result`), empty when the query matched nothing.

/** The namespace label the rehearsal's Prometheus gives its targets (as Kubernetes discovery does). */
export const REHEARSAL_NAMESPACE = 'rehearsal';

export type ArgoResult = { result: number[] } | { error: string };

export interface ArgoReading {
  /** The tool's round this reading follows: its step weight, round status and decision. */
  weight: number;
  toolStatus: string;
  toolDecision: string;
  /** The tool's checks of that round: check name → status. */
  toolChecks: Record<string, string>;
  queries: ColourQueries;
  results: Record<keyof ColourQueries, ArgoResult>;
}

export function rehearsalArgoQueries(values: {
  version: string;
  window: string;
  minRequests: string;
}): ColourQueries {
  const args = {
    [ARGO_ARGS.namespace]: REHEARSAL_NAMESPACE,
    [ARGO_ARGS.canaryVersion]: values.version,
    [ARGO_ARGS.window]: values.window,
    [ARGO_ARGS.minRequests]: values.minRequests,
  };
  const { queries } = argoQueries();
  return {
    requests: substituteArgs(queries.requests, args),
    errorRate: substituteArgs(queries.errorRate, args),
    p95: substituteArgs(queries.p95, args),
  };
}

async function vector(prometheusUrl: string, promql: string): Promise<ArgoResult> {
  try {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (body.status !== 'success' || !body.data) return { error: body.error ?? `HTTP ${response.status}` };
    if (body.data.resultType === 'scalar')
      return { result: [parseSampleValue((body.data.result as [number, string])[1])] };
    const samples = body.data.result as Array<{ value: [number, string] }>;
    return { result: samples.map((s) => parseSampleValue(s.value[1])) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export async function readArgoQueries(
  prometheusUrl: string,
  queries: ColourQueries,
): Promise<Record<keyof ColourQueries, ArgoResult>> {
  const [requests, errorRate, p95] = await Promise.all([
    vector(prometheusUrl, queries.requests),
    vector(prometheusUrl, queries.errorRate),
    vector(prometheusUrl, queries.p95),
  ]);
  return { requests, errorRate, p95 };
}
