import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MetricsProvider, ProviderError, ProviderOptions } from './provider';

// Prometheus' HTTP API: GET /api/v1/query?query=… answers
// {"status":"success","data":{"resultType":"vector"|"scalar",…}}
// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
// Also what sits in front of a shared Prometheus: a bearer token (re-read from its file on every
// query, so a rotated Kubernetes service-account token keeps working), extra headers such as a
// Mimir/Cortex/Thanos tenant (`X-Scope-OrgID`), and TLS with the operator's own CA or, on request,
// without verifying the certificate. node:http(s) rather than fetch: fetch takes no CA or verify
// option without an extra dependency.

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

/** `Name: value` → [name, value]; refuses what is not a header (also CR/LF, which would split it). */
export function parseHeader(text: string): [string, string] {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*([^\r\n]*)$/.exec(text.trim());
  if (!m) throw new Error(`not an HTTP header "Name: value": "${text}"`);
  return [m[1], m[2].trim()];
}

/** The request headers of every query: the extra ones, then the token (which wins over any Authorization given). */
export function requestHeaders(o: ProviderOptions, token?: string): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const h of o.headers ?? []) {
    const [name, value] = parseHeader(h);
    headers[name.toLowerCase()] = value;
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

interface Answer {
  status: number;
  text: string;
}

export class PrometheusProvider implements MetricsProvider {
  readonly type = 'prometheus';
  private readonly base: string;
  private readonly ca?: Buffer;

  constructor(private readonly options: ProviderOptions) {
    this.base = options.address.replace(/\/+$/, '');
    const protocol = new URL(this.base).protocol;
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new Error(`--prometheus-url must be http:// or https://, got ${this.base}`);
    if (options.caFile) {
      if (protocol !== 'https:') throw new Error('--prometheus-ca is for an https:// Prometheus');
      this.ca = readFileSync(options.caFile);
    }
    for (const h of options.headers ?? []) parseHeader(h);
  }

  /** The bearer token: the file's content (read on every query: tokens rotate), else the value given. */
  private token(): string | undefined {
    if (this.options.tokenFile) {
      try {
        return readFileSync(this.options.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new ProviderError(`prometheus token file ${this.options.tokenFile}: ${(err as Error).message}`);
      }
    }
    return this.options.token;
  }

  private get(url: URL, headers: Record<string, string>): Promise<Answer> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const options = {
        headers,
        timeout: timeoutMs,
        ...(url.protocol === 'https:'
          ? { ca: this.ca, rejectUnauthorized: !this.options.insecureSkipVerify }
          : {}),
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end();
    });
  }

  async query(promql: string): Promise<number> {
    const url = new URL(`${this.base}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const headers = requestHeaders(this.options, this.token());
    let answer: Answer;
    try {
      answer = await this.get(url, headers);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ProviderError(
        `prometheus at ${this.base} unreachable: ${code ? `${code} (${(err as Error).message})` : (err as Error).message}`,
      );
    }
    if (answer.status === 401 || answer.status === 403)
      throw new ProviderError(
        `prometheus at ${this.base} answered ${answer.status}: ${this.options.token || this.options.tokenFile ? 'the token was refused' : 'it needs a token (PROMETHEUS_TOKEN or --prometheus-token-file)'}`,
      );
    let body: QueryResponse;
    try {
      body = JSON.parse(answer.text) as QueryResponse;
    } catch {
      throw new ProviderError(`prometheus at ${this.base} answered ${answer.status} without JSON`);
    }
    if ((answer.status < 200 || answer.status > 299) && body.status !== 'error')
      throw new ProviderError(`prometheus at ${this.base} answered ${answer.status}`);
    return valueOf(body);
  }
}
