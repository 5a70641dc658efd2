import { evaluateRound } from './checks';
import { previewHealthCheck, trafficShareCheck } from './liveness';
import { buildQueries } from './queries';
import type { ColourReadings, Reading, Thresholds } from './types';

const v = (value: number): Reading => ({ ok: true, value });
const down: Reading = { ok: false, error: 'prometheus unreachable: ECONNREFUSED' };
const colour = (requests: Reading, errorRate: Reading = v(0), p95: Reading = v(0.05)): ColourReadings => ({
  requests,
  errorRate,
  p95,
});
const canaryQueries = buildQueries({ color: 'green', window: '1m' });
const stableQueries = buildQueries({ color: 'blue', window: '1m' });
const t: Thresholds = { maxErrorRate: 0.001, maxP95Seconds: 0.2, minRequests: 50 };
const share = (canary: number, stable: number, weight = 25, windowCoverage = 1) =>
  trafficShareCheck({
    canary: colour(v(canary)),
    stable: colour(v(stable)),
    weight,
    windowCoverage,
    minRequests: 50,
    query: 'q',
  });

describe('trafficShareCheck: weight > 0, stable busy, canary (almost) silent', () => {
  it('fails a canary that answers nothing while stable answers its traffic', () => {
    const c = share(0, 900);
    expect(c.status).toBe('fail');
    expect(c.reason).toMatch(/answered 0 requests while stable answered 900; about 225 expected/);
  });

  it('fails below a tenth of the expected share, passes at it', () => {
    // weight 25 %: expected 0.25 × 1000 = 250, a tenth of it 25.
    expect(share(24, 976).status).toBe('fail');
    expect(share(25, 975).status).toBe('pass');
    expect(share(250, 750).status).toBe('pass');
  });

  it('expects less canary traffic while the window still holds the previous step', () => {
    // 30 % of the window at weight 50: expected 0.5 × 0.3 × 1000 = 150, a tenth 15.
    expect(share(20, 980, 50, 0.3).status).toBe('pass');
    expect(share(10, 990, 50, 0.3).status).toBe('fail');
  });

  it('does not judge when too few canary requests were expected (a quiet service, a fresh step)', () => {
    expect(share(0, 150, 25).status).toBe('pass'); // expected 37.5 < 50
    expect(share(0, 150, 25).reason).toMatch(/not judged/);
    expect(share(0, 10_000, 25, 0).status).toBe('pass'); // nothing of the window at this weight yet
    expect(share(0, 10_000, 0).status).toBe('pass');
  });

  it('is inconclusive with a provider error on either colour', () => {
    const c = trafficShareCheck({
      canary: colour(v(0)),
      stable: colour(down),
      weight: 25,
      windowCoverage: 1,
      minRequests: 50,
      query: 'q',
    });
    expect(c).toMatchObject({ status: 'inconclusive', providerError: true });
  });

  it('counts an empty canary result (no series: the process never answered) as zero', () => {
    const c = trafficShareCheck({
      canary: colour(v(NaN)),
      stable: colour(v(900)),
      weight: 10,
      windowCoverage: 1,
      minRequests: 50,
      query: 'q',
    });
    expect(c.status).toBe('fail');
  });
});

describe('previewHealthCheck', () => {
  it('fails an unhealthy preview with the platform reason, passes a healthy one', () => {
    expect(previewHealthCheck({ healthy: false, reason: '0 of 2 pods available, 3 restarts' })).toMatchObject(
      {
        check: 'preview-health',
        status: 'fail',
        reason: 'preview colour cannot serve its share: 0 of 2 pods available, 3 restarts',
      },
    );
    expect(previewHealthCheck({ healthy: true, reason: '2 of 2 ready' }).status).toBe('pass');
  });

  it('is inconclusive (a provider error) when the platform could not be asked', () => {
    expect(previewHealthCheck({ error: 'kubectl: connection refused' })).toMatchObject({
      status: 'inconclusive',
      providerError: true,
    });
  });
});

describe('evaluateRound with the liveness checks', () => {
  const round = (canary: ColourReadings, extra: Partial<Parameters<typeof evaluateRound>[0]> = {}) =>
    evaluateRound(
      {
        canary,
        canaryQueries,
        stable: colour(v(900)),
        stableQueries,
        compareWithStable: false,
        traffic: { weight: 25, windowCoverage: 1 },
        previewHealth: { healthy: true, reason: 'ready' },
        ...extra,
      },
      t,
    );

  it('a silent canary beside a busy stable fails the round (it used to be inconclusive)', () => {
    const r = round(colour(v(0), v(NaN), v(NaN)));
    expect(r.status).toBe('fail');
    expect(r.checks.find((c) => c.check === 'canary-traffic')?.status).toBe('fail');
    // The other checks still say "too few requests", not judged.
    expect(r.checks.find((c) => c.check === 'requests')?.status).toBe('inconclusive');
  });

  it('an unhealthy preview fails the round at once, however few requests it had', () => {
    const r = round(colour(v(30)), { previewHealth: { healthy: false, reason: 'upstream refused' } });
    expect(r.status).toBe('fail');
    expect(r.checks[0]).toMatchObject({ check: 'preview-health', status: 'fail' });
  });

  it('a healthy canary with its share passes', () => {
    expect(round(colour(v(300))).status).toBe('pass');
  });

  it('without traffic or health input the round is judged as before', () => {
    const r = evaluateRound({ canary: colour(v(0), v(NaN), v(NaN)), canaryQueries }, t);
    expect(r.status).toBe('inconclusive');
    expect(r.checks.map((c) => c.check)).toEqual(['requests', 'error-rate', 'p95']);
  });

  it('stable readings add the comparisons only when asked', () => {
    const input = { canary: colour(v(300)), canaryQueries, stable: colour(v(900)), stableQueries };
    const withMargin = { ...t, p95MarginOverStable: 0.5 };
    const checks = (compareWithStable: boolean) =>
      evaluateRound({ ...input, compareWithStable }, withMargin).checks.map((c) => c.check);
    expect(checks(false)).not.toContain('p95-vs-stable');
    expect(checks(true)).toContain('p95-vs-stable');
  });
});
