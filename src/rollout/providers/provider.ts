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
}

export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}
