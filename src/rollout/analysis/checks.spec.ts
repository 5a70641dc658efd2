import { buildQueries } from './queries';
import { evaluateRound } from './checks';
import type { ColourReadings, Reading, Thresholds } from './types';

const v = (value: number): Reading => ({ ok: true, value });
const down: Reading = { ok: false, error: 'prometheus at http://127.0.0.1:9 unreachable: ECONNREFUSED' };
const readings = (requests: Reading, errorRate: Reading, p95: Reading): ColourReadings => ({
  requests,
  errorRate,
  p95,
});

const canaryQueries = buildQueries({ color: 'green', window: '30s' });
const stableQueries = buildQueries({ color: 'blue', window: '30s' });
const t: Thresholds = { maxErrorRate: 0.01, maxP95Seconds: 0.2, minRequests: 50 };

describe('evaluateRound', () => {
  it.each([
    // name, canary readings, expected round status, expected status per check [requests, error-rate, p95]
    ['healthy canary passes', readings(v(600), v(0.001), v(0.05)), 'pass', ['pass', 'pass', 'pass']],
    ['exactly at the thresholds passes', readings(v(50), v(0.01), v(0.2)), 'pass', ['pass', 'pass', 'pass']],
    ['too many errors fails', readings(v(600), v(0.2), v(0.05)), 'fail', ['pass', 'fail', 'pass']],
    ['slow canary fails on p95', readings(v(600), v(0), v(0.45)), 'fail', ['pass', 'pass', 'fail']],
    [
      'low traffic is inconclusive, never a pass',
      readings(v(49), v(0), v(0.01)),
      'inconclusive',
      ['inconclusive', 'inconclusive', 'inconclusive'],
    ],
    [
      'low traffic does not fail either, however bad',
      readings(v(10), v(1), v(5)),
      'inconclusive',
      ['inconclusive', 'inconclusive', 'inconclusive'],
    ],
    [
      'no series at all (empty result = NaN) is inconclusive',
      readings(v(NaN), v(NaN), v(NaN)),
      'inconclusive',
      ['inconclusive', 'inconclusive', 'inconclusive'],
    ],
    [
      'NaN error ratio with traffic is inconclusive',
      readings(v(600), v(NaN), v(0.05)),
      'inconclusive',
      ['pass', 'inconclusive', 'pass'],
    ],
    [
      'NaN p95 (no histogram) is inconclusive',
      readings(v(600), v(0), v(NaN)),
      'inconclusive',
      ['pass', 'pass', 'inconclusive'],
    ],
    [
      '+Inf p95 (all in the last bucket) is not a pass',
      readings(v(600), v(0), v(Infinity)),
      'inconclusive',
      ['pass', 'pass', 'inconclusive'],
    ],
    [
      'a failing check wins over an inconclusive one',
      readings(v(600), v(0.5), v(NaN)),
      'fail',
      ['pass', 'fail', 'inconclusive'],
    ],
    [
      'provider down is inconclusive with a provider error',
      readings(down, down, down),
      'inconclusive',
      ['inconclusive', 'inconclusive', 'inconclusive'],
    ],
    [
      'one query failing keeps the round from passing',
      readings(v(600), v(0), down),
      'inconclusive',
      ['pass', 'pass', 'inconclusive'],
    ],
  ] as const)('%s', (_name, canary, status, perCheck) => {
    const result = evaluateRound({ canary, canaryQueries }, t);
    expect(result.status).toBe(status);
    expect(result.checks.map((c) => c.status)).toEqual(perCheck);
  });

  it('flags provider errors so the gate can count them', () => {
    expect(evaluateRound({ canary: readings(down, v(0), v(0)), canaryQueries }, t).providerError).toBe(true);
    expect(evaluateRound({ canary: readings(v(NaN), v(NaN), v(NaN)), canaryQueries }, t).providerError).toBe(
      false,
    );
  });

  it('reports each check with its PromQL, the value seen and the threshold', () => {
    const result = evaluateRound({ canary: readings(v(600), v(0.2), v(0.05)), canaryQueries }, t);
    const errorRate = result.checks.find((c) => c.check === 'error-rate')!;
    expect(errorRate).toMatchObject({
      value: 0.2,
      threshold: 0.01,
      comparator: '<=',
      status: 'fail',
      query: canaryQueries.errorRate,
    });
    expect(errorRate.query).toContain('color="green"');
    expect(errorRate.reason).toMatch(/0\.2.*> 0\.01/);
  });

  describe('comparison with stable', () => {
    const withMargins: Thresholds = { ...t, errorRateMarginOverStable: 0.005, p95MarginOverStable: 0.2 };
    const compare = (canary: ColourReadings, stable: ColourReadings) =>
      evaluateRound({ canary, canaryQueries, stable, stableQueries }, withMargins);
    const byName = (r: ReturnType<typeof compare>, name: string) => r.checks.find((c) => c.check === name)!;

    it.each([
      [
        'canary like stable passes',
        readings(v(600), v(0.004), v(0.1)),
        readings(v(5000), v(0.003), v(0.1)),
        'pass',
        'pass',
        'pass',
      ],
      [
        'canary error rate above stable + margin fails',
        readings(v(600), v(0.009), v(0.1)),
        readings(v(5000), v(0.001), v(0.1)),
        'fail',
        'fail',
        'pass',
      ],
      [
        'canary p95 above stable × (1 + margin) fails',
        readings(v(600), v(0), v(0.15)),
        readings(v(5000), v(0), v(0.1)),
        'fail',
        'pass',
        'fail',
      ],
      [
        'stable without traffic: no baseline, absolute thresholds still decide',
        readings(v(600), v(0), v(0.15)),
        readings(v(3), v(0), v(0.01)),
        'pass',
        'pass',
        'pass',
      ],
      [
        'stable unreachable is a provider error',
        readings(v(600), v(0), v(0.1)),
        readings(down, down, down),
        'inconclusive',
        'inconclusive',
        'inconclusive',
      ],
    ] as const)('%s', (_name, canary, stable, status, errorCheck, p95Check) => {
      const r = compare(canary, stable);
      expect(r.status).toBe(status);
      expect(byName(r, 'error-rate-vs-stable').status).toBe(errorCheck);
      expect(byName(r, 'p95-vs-stable').status).toBe(p95Check);
    });

    it('uses the stable value for the threshold', () => {
      const r = compare(readings(v(600), v(0.009), v(0.1)), readings(v(5000), v(0.001), v(0.1)));
      expect(byName(r, 'error-rate-vs-stable').threshold).toBeCloseTo(0.006);
      expect(byName(r, 'p95-vs-stable').threshold).toBeCloseTo(0.12);
      expect(byName(r, 'p95-vs-stable').query).toContain('color="blue"');
    });

    it('adds the slack (seconds) to the p95 limit: millisecond noise is no slowdown, 400 ms is', () => {
      const slack: Thresholds = { ...t, maxP95Seconds: 2, p95MarginOverStable: 0.25, p95SlackSeconds: 0.15 };
      const p95 = (canary: number, stable: number) =>
        evaluateRound(
          {
            canary: readings(v(600), v(0), v(canary)),
            canaryQueries,
            stable: readings(v(5000), v(0), v(stable)),
            stableQueries,
          },
          slack,
        ).checks.find((c) => c.check === 'p95-vs-stable')!;
      expect(p95(0.02, 0.008)).toMatchObject({ status: 'pass', threshold: 0.16 }); // "150 % slower", 12 ms
      expect(p95(0.49, 0.008).status).toBe('fail'); // a canary adding 400 ms on a quiet machine
      expect(p95(0.35, 0.3).status).toBe('pass'); // both slow on a busy machine
      expect(p95(0.75, 0.3).status).toBe('fail'); // 400 ms more on a busy machine
    });
  });
});

describe('buildQueries', () => {
  it('selects the colour, leaves out scrapes and probes, and guards the empty 5xx numerator', () => {
    const q = buildQueries({ color: 'green', window: '1m', extraMatchers: 'route!~"/metrics|/health/.*"' });
    expect(q.requests).toBe(
      'sum(increase(http_requests_total{color="green",route!~"/metrics|/health/.*"}[1m]))',
    );
    expect(q.errorRate).toContain('status_code=~"5.."');
    expect(q.errorRate).toContain('or vector(0)');
    expect(q.p95).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{color="green",route!~"/metrics|/health/.*"}[1m])))',
    );
  });

  it.each([
    [
      'the colour only, when its version is unknown',
      { color: 'green', version: null },
      '{color="green"}',
      '{color="green",status_code=~"5.."}',
    ],
    [
      "the colour and its version: other releases' instances of the same colour stay out",
      { color: 'green', version: '1.1.0' },
      '{color="green",app_version="1.1.0"}',
      '{color="green",app_version="1.1.0",status_code=~"5.."}',
    ],
    [
      "the stable colour's version, keeping the user's matchers",
      { color: 'blue', version: '1.0.0', extraMatchers: 'namespace="shop"' },
      '{color="blue",app_version="1.0.0",namespace="shop"}',
      '{color="blue",app_version="1.0.0",namespace="shop",status_code=~"5.."}',
    ],
    [
      'a version with quotes, escaped',
      { color: 'green', version: 'a"b\\c' },
      '{color="green",app_version="a\\"b\\\\c"}',
      '{color="green",app_version="a\\"b\\\\c",status_code=~"5.."}',
    ],
  ])('scopes by %s', (_n, o, all, errors) => {
    const q = buildQueries({ window: '1m', ...o });
    expect(q.requests).toBe(`sum(increase(http_requests_total${all}[1m]))`);
    expect(q.errorRate).toBe(
      `(sum(increase(http_requests_total${errors}[1m])) or vector(0)) / sum(increase(http_requests_total${all}[1m]))`,
    );
    expect(q.p95).toBe(
      `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${all}[1m])))`,
    );
  });
});
