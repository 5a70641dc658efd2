import { PrometheusProvider } from './prometheus';
import type { MetricsProvider, ProviderOptions } from './provider';

export type { MetricsProvider, ProviderOptions } from './provider';

// One entry per provider type: adding a provider is one file and one line here.
const providers: Record<string, (o: ProviderOptions) => MetricsProvider> = {
  prometheus: (o) => new PrometheusProvider(o),
};

export const providerTypes = Object.keys(providers);

export function createProvider(type: string, options: ProviderOptions): MetricsProvider {
  const make = providers[type];
  if (!make) throw new Error(`unknown metrics provider "${type}" (known: ${providerTypes.join(', ')})`);
  return make(options);
}
