import {
  assertConfMatches,
  NginxState,
  parseConfWeights,
  parseState,
  renderConf,
  upstreamWeights,
} from './nginx-config';
import { InconsistentStateError } from './platform';

const state = (over: Partial<NginxState> = {}): NginxState => ({
  listen: '127.0.0.1:8080',
  activeColor: 'blue',
  weight: 0,
  upstreams: {
    blue: { address: '127.0.0.1:3001', version: '1.0.0' },
    green: { address: '127.0.0.1:3002', version: '1.1.0' },
  },
  ...over,
});

describe('nginx config', () => {
  it.each([
    ['blue active, no canary', state(), { blue: 100, green: 0 }],
    ['blue active, canary 10 %', state({ weight: 10 }), { blue: 90, green: 10 }],
    ['blue active, canary 100 %', state({ weight: 100 }), { blue: 0, green: 100 }],
    ['green active, canary 25 %', state({ activeColor: 'green', weight: 25 }), { blue: 25, green: 75 }],
  ])('%s renders and reads back the same weights', (_n, s, weights) => {
    expect(upstreamWeights(s)).toEqual(weights);
    const conf = renderConf(s, '/srv/rollout');
    expect(parseConfWeights(conf)).toEqual(weights);
    expect(() => assertConfMatches(s, conf)).not.toThrow();
  });

  it('marks a colour without traffic `down` (nginx has no weight=0)', () => {
    const conf = renderConf(state(), '/srv/rollout');
    expect(conf).toContain('server 127.0.0.1:3002 down; # green');
    expect(conf).toContain('server 127.0.0.1:3001 weight=100; # blue');
    expect(conf).not.toMatch(/weight=0/);
  });

  it('keeps every nginx path inside its directory and serves its generation', () => {
    const conf = renderConf(state({ generation: 7 }), '/srv/rollout');
    expect(conf).toContain('pid /srv/rollout/nginx.pid;');
    expect(conf).toContain('return 200 "7\\n";');
  });

  it('refuses a hand-edited nginx.conf', () => {
    const edited = renderConf(state({ weight: 10 }), '/d').replace('weight=90', 'weight=50');
    expect(() => assertConfMatches(state({ weight: 10 }), edited)).toThrow(
      /routes blue=50 green=10 but rollout-state.json says blue=90 green=10/,
    );
  });

  it('refuses a conf without the rollout upstream', () => {
    expect(() => parseConfWeights('http { }')).toThrow(InconsistentStateError);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['a wrong colour', JSON.stringify(state({ activeColor: 'red' as never })), /activeColor/],
    ['a weight of 101', JSON.stringify(state({ weight: 101 })), /weight/],
    [
      'a bad address',
      JSON.stringify({
        ...state(),
        upstreams: { ...state().upstreams, green: { address: 'nowhere', version: null } },
      }),
      /green.address/,
    ],
  ])('refuses a state file with %s', (_n, text, message) => {
    expect(() => parseState(text)).toThrow(message);
  });
});
