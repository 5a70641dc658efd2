import type { CheckResult } from '../analysis';
import type { RolloutEvent } from '../reporter';
import { escapeHtml, groupMissing, niceCeiling, renderReport } from './html';
import { buildReportModel, TimedEvent } from './model';
import { RecordingReporter } from './recorder';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

function check(
  name: CheckResult['check'],
  status: CheckResult['status'],
  value: number,
  threshold: number,
): CheckResult {
  return {
    check: name,
    status,
    query: `q(${name})`,
    value,
    threshold,
    comparator: name === 'requests' ? '>=' : '<=',
    reason: `${name} ${status}`,
  };
}

const run: RolloutEvent = {
  event: 'run',
  platform: 'nginx',
  activeColor: 'blue',
  previewColor: 'green',
  versions: { blue: '1.0.0', green: '1.1.0' },
  steps: [20, 50, 100],
  interval: '2s',
  window: '10s',
  thresholds: { 'max-error-rate': 0.01, 'max-p95': 0.2, 'failure-limit': 2 },
};

/** A faulty canary: passes step 1, fails twice at step 2 and is rolled back. */
function faulty(): TimedEvent[] {
  const events: RolloutEvent[] = [
    run,
    { event: 'weight', step: 1, steps: 3, weight: 20 },
    { event: 'check', step: 1, weight: 20, round: 1, ...check('error-rate', 'pass', 0.002, 0.01) },
    { event: 'check', step: 1, weight: 20, round: 1, ...check('p95', 'pass', 0.05, 0.2) },
    {
      event: 'decision',
      step: 1,
      weight: 20,
      round: 1,
      decision: 'advance',
      status: 'pass',
      failedChecks: 0,
      failureLimit: 2,
      reason: 'every check passed',
      readings: {
        canary: { requests: 120, errorRate: 0.002, p95: 0.05 },
        stable: { requests: 480, errorRate: 0, p95: 0.04 },
      },
    },
    { event: 'weight', step: 2, steps: 3, weight: 50 },
    { event: 'check', step: 2, weight: 50, round: 1, ...check('error-rate', 'fail', 0.3, 0.01) },
    {
      event: 'decision',
      step: 2,
      weight: 50,
      round: 1,
      decision: 'wait',
      status: 'fail',
      failedChecks: 1,
      failureLimit: 2,
      reason: 'error-rate <b>failed</b>',
      readings: {
        canary: { requests: 300, errorRate: 0.3, p95: 0.06 },
        stable: { requests: 300, errorRate: 0.001, p95: 0.04 },
      },
    },
    { event: 'check', step: 2, weight: 50, round: 2, ...check('error-rate', 'fail', 0.31, 0.01) },
    {
      event: 'decision',
      step: 2,
      weight: 50,
      round: 2,
      decision: 'rollback',
      status: 'fail',
      failedChecks: 2,
      failureLimit: 2,
      reason: '2 failed rounds reached the limit 2',
      readings: {
        canary: { requests: 310, errorRate: 0.31, p95: null },
        stable: { requests: 290, errorRate: 0.001, p95: 0.04 },
        missing: ['canary p95: no data'],
      },
    },
    { event: 'rolled-back', activeColor: 'blue', reason: '2 failed rounds reached the limit 2' },
  ];
  return events.map((event, i) => ({ time: T0 + i * 1000, event }));
}

describe('the rollout report model', () => {
  it('has the weight steps over time, one entry per round and the verdict', () => {
    const m = buildReportModel(faulty());
    expect(m.weights).toEqual([
      { at: 0, weight: 0 },
      { at: 1, weight: 20 },
      { at: 5, weight: 50 },
      { at: 10, weight: 0 },
    ]);
    expect(m.rounds.map((r) => [r.step, r.round, r.decision, r.status])).toEqual([
      [1, 1, 'advance', 'pass'],
      [2, 1, 'wait', 'fail'],
      [2, 2, 'rollback', 'fail'],
    ]);
    expect(m.rounds[0]).toMatchObject({
      canary: { errorRate: 0.002, p95: 0.05, requests: 120 },
      stable: { errorRate: 0, p95: 0.04 },
      maxErrorRate: 0.01,
      maxP95: 0.2,
    });
    expect(m.rounds[2].checks).toHaveLength(1);
    expect(m.verdict).toEqual({
      kind: 'rolled-back',
      text: 'blue keeps all traffic: 2 failed rounds reached the limit 2',
    });
    expect(m.duration).toBe(10);
  });

  it('reads the canary from its checks when a decision carries no readings', () => {
    const events = faulty().map((t) =>
      t.event.event === 'decision' ? { ...t, event: { ...t.event, readings: undefined } } : t,
    );
    const m = buildReportModel(events);
    expect(m.rounds[0].canary).toEqual({ requests: null, errorRate: 0.002, p95: 0.05 });
    expect(m.rounds[0].stable).toBeUndefined();
  });

  it('says so when the run ended with an error and no verdict', () => {
    const m = buildReportModel([
      { time: T0, event: run },
      {
        time: T0 + 500,
        event: { event: 'error', message: 'prometheus unreachable; rolling back to be safe' },
      },
    ]);
    expect(m.verdict).toEqual({ kind: 'error', text: 'prometheus unreachable; rolling back to be safe' });
    expect(m.rounds).toEqual([]);
  });
});

describe('the rollout report page', () => {
  const html = renderReport(buildReportModel(faulty()));

  it('puts the verdict first, before any chart', () => {
    expect(html).toMatch(
      /<div class="verdict rolled-back" id="verdict"><strong>ROLLED BACK<\/strong>blue keeps all traffic/,
    );
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<svg'));
  });

  it('draws three charts: the weight steps, the error ratios and the p95s with their limits', () => {
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html.match(/<path class="weight" d="M[^"]+"/g)).toHaveLength(1);
    // One decision marker per round on the weight chart, coloured by decision.
    expect(html.match(/<circle class="decision (advance|wait|rollback)"/g)).toHaveLength(3);
    // Canary points: 3 error ratios + 2 p95s (the last p95 was not read); stable: 3 + 3.
    expect(html.match(/<circle class="canary-point/g)).toHaveLength(5);
    expect(html.match(/<rect class="stable-point"/g)).toHaveLength(6);
    expect(html.match(/<line class="limit" /g)).toHaveLength(6);
    expect(html).toContain('canary 30 %');
    expect(html).toContain('stable 40 ms');
  });

  it('lists every round with its decision and reason, escaped', () => {
    expect(html.match(/<tr class="(advance|wait|rollback)">/g)).toHaveLength(3);
    expect(html).toContain('error-rate &lt;b&gt;failed&lt;/b&gt;');
    expect(html).not.toContain('<b>failed</b>');
    expect(html).toContain('<small class="missing">not read: canary p95: no data</small>');
  });

  it('is self-contained: no script, no external reference, a policy that forbids any request', () => {
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('still renders when no round completed', () => {
    const page = renderReport(buildReportModel([{ time: T0, event: run }]));
    expect(page).toContain('No analysis round was completed.');
    expect(page).toContain('<strong>UNFINISHED</strong>');
  });
});

describe('report helpers', () => {
  it.each([
    [0, 1],
    [0.0007, 0.001],
    [0.013, 0.02],
    [0.22, 0.25],
    [3.1, 5],
    [100, 100],
  ])('niceCeiling(%p) = %p', (max, nice) => expect(niceCeiling(max)).toBeCloseTo(nice, 12));

  it('escapes the five HTML characters', () =>
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'));
});

describe('groupMissing', () => {
  it('names each cause once, with what it kept from being read', () => {
    expect(
      groupMissing([
        'canary requests: prometheus unreachable',
        'canary p95: no data',
        'stable requests: prometheus unreachable',
      ]),
    ).toBe('canary requests, stable requests: prometheus unreachable; canary p95: no data');
  });
});

describe('RecordingReporter', () => {
  it('passes every event on, and draws the page from the run event onwards', () => {
    const seen: RolloutEvent[] = [];
    let now = T0;
    const r = new RecordingReporter({ emit: (e) => seen.push(e) }, () => (now += 1000));
    r.emit({
      event: 'status',
      platform: 'nginx',
      activeColor: 'blue',
      previewColor: 'green',
      weight: 0,
      versions: {},
    });
    for (const t of faulty()) r.emit(t.event);
    expect(seen).toHaveLength(faulty().length + 1);
    expect(r.events[0].time).toBe(T0 + 1000);
    const page = r.html();
    expect(page).toContain('<strong>ROLLED BACK</strong>');
    expect(page).toContain('started 2026-12-02T12:00:02.000Z');
  });
});
