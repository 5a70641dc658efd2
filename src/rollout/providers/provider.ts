/**
 * A metrics provider answers one instant query with one number.
 * NaN stands for "no data" (empty result or NaN sample); failures to answer throw.
 */
export interface MetricsProvider {
  readonly type: string;
  query(promql: string): Promise<number>;
}

export interface ProviderOptions {
  address: string;
  timeoutMs?: number;
  /** Bearer token sent with every query. */
  token?: string;
  /** A file holding the bearer token, re-read on every query (wins over `token`). */
  tokenFile?: string;
  /** Extra request headers, each `Name: value` (e.g. `X-Scope-OrgID: shop`). */
  headers?: string[];
  /** https: the CA bundle (PEM) the server's certificate must chain to. */
  caFile?: string;
  /** https: do not verify the server's certificate (a test setup only). */
  insecureSkipVerify?: boolean;
}

export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}
