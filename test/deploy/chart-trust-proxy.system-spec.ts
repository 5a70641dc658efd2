// TRUST_PROXY as the chart renders it (issue 14, finding 7): the router's exact hop count, never
// `true`, and whatever it renders is a value the service itself accepts.
import { loadConfig } from '../../src/config/config';
import { FULLNAME, find, render, RenderOptions, templateArgs } from '../helpers/deploy/render';
import { helm } from '../helpers/deploy/tools';

function trustProxyOf(options: RenderOptions): string[] {
  const objects = render(options);
  return (['blue', 'green'] as const).map((color) => {
    const [api] = find(objects, 'Deployment', `${FULLNAME}-${color}`).spec.template.spec.containers;
    return (api.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'TRUST_PROXY')!.value!;
  });
}

describe('chart: TRUST_PROXY', () => {
  it.each([
    ['service (no router)', { 'trafficRouting.type': 'service' }, 'false'],
    ['gatewayApi', { 'trafficRouting.type': 'gatewayApi' }, '1'],
    ['ingressNginx', { 'trafficRouting.type': 'ingressNginx' }, '1'],
    ['an explicit hop count', { 'trafficRouting.type': 'ingressNginx', 'config.trustProxy': 2 }, '2'],
    [
      'explicit false behind a router',
      { 'trafficRouting.type': 'gatewayApi', 'config.trustProxy': false },
      'false',
    ],
    ['proxy CIDRs', { 'config.trustProxy': '10.0.0.0/8' }, '10.0.0.0/8'],
  ])('%s → %s on both colours, a value the service accepts', (_name, set, expected) => {
    const values = trustProxyOf({ set: set as RenderOptions['set'] });
    expect(values).toEqual([expected, expected]);
    expect(() => loadConfig({ TRUST_PROXY: values[0] })).not.toThrow();
  });

  it.each([
    ['true', ['--set', 'config.trustProxy=true']],
    ['"true"', ['--set-string', 'config.trustProxy=true']],
    ['a hop count over 16', ['--set', 'config.trustProxy=17']],
    ['a negative hop count', ['--set', 'config.trustProxy=-1']],
  ])('the schema refuses %s', (_what, args) => {
    const res = helm([...templateArgs({}), ...args]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/trustProxy/);
  });
});
