import {
  assertConfMatches,
  instancesOf,
  NginxState,
  parseConfWeights,
  parseState,
  renderConf,
  scaledDown,
  toRolloutState,
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

  describe('several instances per colour', () => {
    const three = state({
      weight: 25,
      upstreams: {
        blue: { address: '127.0.0.1:3001,127.0.0.1:3003,127.0.0.1:3005', version: '1.0.0' },
        green: { address: '127.0.0.1:3002', version: '1.1.0' },
      },
    });

    it('gives each colour its share whatever its number of instances', () => {
      const conf = renderConf(three, '/d');
      // blue: 75 × 1 on each of 3 servers = 225; green: 25 × 3 on 1 server = 75 → 75 % / 25 %.
      expect(conf.match(/server 127\.0\.0\.1:300[135] weight=75; # blue/g)).toHaveLength(3);
      expect(conf).toContain('server 127.0.0.1:3002 weight=75; # green');
      expect(parseConfWeights(conf)).toEqual({ blue: 75, green: 25 });
      expect(() => assertConfMatches(three, conf)).not.toThrow();
    });

    it('counts the instances per colour as replicas', () => {
      expect(instancesOf(three.upstreams.blue)).toHaveLength(3);
      expect(toRolloutState(three).replicas).toEqual({ blue: 3, green: 1 });
    });

    it('refuses a conf that lists other servers than the state, even with the same shares', () => {
      const conf = renderConf(three, '/d').replace('127.0.0.1:3005', '127.0.0.1:3007');
      expect(() => assertConfMatches(three, conf)).toThrow(InconsistentStateError);
      const scaled = renderConf(state({ weight: 10 }), '/d')
        .replace('weight=90', 'weight=9')
        .replace('weight=10', 'weight=1');
      expect(() => assertConfMatches(state({ weight: 10 }), scaled)).toThrow(/routes blue=9 green=1/);
    });

    it('refuses a malformed instance list', () => {
      const text = JSON.stringify({
        ...state(),
        upstreams: { ...state().upstreams, blue: { address: '127.0.0.1:1,,127.0.0.1:2', version: null } },
      });
      expect(() => parseState(text)).toThrow(/blue.address/);
    });
  });

  describe('scale-down record', () => {
    const at = '2026-01-01T00:00:30.000Z';
    const s = state({ scaleDown: { colour: 'green', at } });

    it('counts the colour as scaled down (0 replicas) from its time on, not before', () => {
      expect(scaledDown(s, 'green', Date.parse(at) - 1)).toBe(false);
      expect(scaledDown(s, 'green', Date.parse(at))).toBe(true);
      expect(scaledDown(s, 'blue', Date.parse(at) + 1)).toBe(false);
      expect(toRolloutState(s, Date.parse(at) - 1).replicas).toEqual({ blue: 1, green: 1 });
      expect(toRolloutState(s, Date.parse(at) + 1).replicas).toEqual({ blue: 1, green: 0 });
    });

    it('is read back from the state file and refused when malformed', () => {
      expect(parseState(JSON.stringify(s)).scaleDown).toEqual({ colour: 'green', at });
      expect(() => parseState(JSON.stringify({ ...s, scaleDown: { colour: 'red', at } }))).toThrow(
        /scaleDown/,
      );
      expect(() => parseState(JSON.stringify({ ...s, scaleDown: { colour: 'green', at: 'soon' } }))).toThrow(
        /scaleDown/,
      );
    });
  });
});
