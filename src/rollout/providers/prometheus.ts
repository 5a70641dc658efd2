import { MetricsProvider, ProviderError, ProviderOptions } from './provider';

// Prometheus' HTTP API: GET /api/v1/query?query=… answers
// {"status":"success","data":{"resultType":"vector"|"scalar",…}}
// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries

type Sample = [number, string];
interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: Sample }> | Sample };
}

/** Prometheus writes special floats as strings: "NaN", "+Inf", "-Inf". */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

export function valueOf(body: QueryResponse): number {
  if (body.status !== 'success' || !body.data)
    throw new ProviderError(`prometheus: ${body.error ?? 'query failed'}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return parseSampleValue((result as Sample)[1]);
  if (resultType === 'vector') {
    const vector = result as Array<{ value: Sample }>;
    if (vector.length === 0) return NaN;
    if (vector.length > 1)
      throw new ProviderError(
        `prometheus: query returned ${vector.length} series, expected one (aggregate it)`,
      );
    return parseSampleValue(vector[0].value[1]);
  }
  throw new ProviderError(`prometheus: unsupported result type ${resultType}`);
}

export class PrometheusProvider implements MetricsProvider {
  readonly type = 'prometheus';
  private readonly base: string;

  constructor(private readonly options: ProviderOptions) {
    this.base = options.address.replace(/\/+$/, '');
  }

  async query(promql: string): Promise<number> {
    const url = `${this.base}/api/v1/query?${new URLSearchParams({ query: promql })}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new ProviderError(`prometheus at ${this.base} unreachable: ${cause ?? (err as Error).message}`);
    }
    let body: QueryResponse;
    try {
      body = (await response.json()) as QueryResponse;
    } catch {
      throw new ProviderError(`prometheus at ${this.base} answered ${response.status} without JSON`);
    }
    if (!response.ok && body.status !== 'error')
      throw new ProviderError(`prometheus at ${this.base} answered ${response.status}`);
    return valueOf(body);
  }
}
