// The PrometheusRule's groups checked and unit-tested with promtool: every alert fires on a bad
// series and stays quiet on a good one, with its runbook_url; every runbook link resolves to a file
// of docs/runbooks/. Series carry the labels the ServiceMonitor gives them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { yaml } from '../helpers/deploy/yaml';
import { FULLNAME, NAMESPACE, find, render } from '../helpers/deploy/render';
import { ROOT, run, scratchDir } from '../helpers/deploy/tools';

const RUNBOOKS = 'https://git.example.com/bulwark/blob/main/docs/runbooks';
const rule = find(
  render({ set: { 'prometheusRule.enabled': true, 'prometheusRule.runbookBaseUrl': `${RUNBOOKS}/` } }),
  'PrometheusRule',
  FULLNAME,
);
type Rule = { alert?: string; record?: string; expr: string; annotations?: Record<string, string> };
const groups = rule.spec.groups as { name: string; rules: Rule[] }[];
const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => r.alert as string));
const runbookUrl = (alert: string) => `${RUNBOOKS}/${alert}.md`;

const base = {
  namespace: NAMESPACE,
  service: `${FULLNAME}-blue`,
  color: 'blue',
  method: 'POST',
  route: '/v1/orders',
};
const sel = (labels: Record<string, string>) =>
  `{${Object.entries({ ...base, ...labels })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
// SLO alerts are per namespace: no colour label, the error budget is the service's. Pool and
// readiness alerts are per pod.
const alertLabels = (severity: string, extra: Record<string, string> = {}) => ({
  severity,
  namespace: NAMESPACE,
  ...extra,
});
const POD = `${FULLNAME}-blue-7d9f8b6c5d-x2x4q`;
/** A series of Bulwark's own (not HTTP): the scrape labels of one blue pod. */
const own = (name: string, values: string, labels: Record<string, string> = {}) => ({
  series: `${name}{${Object.entries({
    namespace: NAMESPACE,
    service: `${FULLNAME}-blue`,
    pod: POD,
    color: 'blue',
    ...labels,
  })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`,
  values,
});

/** Counter series rising by `perMin` every minute for `minutes`. */
const counter = (labels: Record<string, string>, perMin: number, minutes: number) => ({
  series: `http_requests_total${sel(labels)}`,
  values: `0+${perMin}x${minutes}`,
});
/** Counter that is flat, then rises by `perMin` for the last `burst` minutes. */
const burst = (labels: Record<string, string>, perMin: number, minutes: number, burstMinutes: number) => ({
  series: `http_requests_total${sel(labels)}`,
  values: `0x${minutes - burstMinutes} 0+${perMin}x${burstMinutes}`,
});
/** Request-duration histogram: `perMin` requests a minute, split over the bucket bounds given. */
function histogram(perMin: number, minutes: number, share: Record<string, number>) {
  const bounds = ['0.05', '0.1', '0.2', '0.5', '1', '+Inf'];
  let cumulative = 0;
  return bounds.map((le) => {
    cumulative += share[le] ?? 0;
    return {
      series: `http_request_duration_seconds_bucket${sel({ status_code: '201', le })}`,
      values: `0+${Math.round(perMin * cumulative)}x${minutes}`,
    };
  });
}

const PER_POD = new Set(['BulwarkDatabasePoolSaturated', 'BulwarkReadinessFlapping']);

interface UnitTest {
  name: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: {
    eval_time: string;
    alertname: string;
    exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
  }[];
}
const tests: UnitTest[] = [];
function scenario(
  name: string,
  minutes: number,
  series: UnitTest['input_series'],
  expect: Record<string, string | null>,
  evalTime = `${minutes}m`,
) {
  tests.push({
    name,
    input_series: series,
    alert_rule_test: Object.entries(expect).map(([alertname, severity]) => ({
      eval_time: evalTime,
      alertname,
      exp_alerts: severity
        ? [
            {
              exp_labels: alertLabels(severity, PER_POD.has(alertname) ? { pod: POD } : {}),
              exp_annotations: { runbook_url: runbookUrl(alertname) },
            },
          ]
        : [],
    })),
  });
}

// Error ratio over 0.1 % (5m, for 5m).
scenario(
  '0.5 % errors fire BulwarkErrorRatioHigh',
  30,
  [counter({ status_code: '201' }, 1000, 30), counter({ status_code: '500' }, 5, 30)],
  {
    BulwarkErrorRatioHigh: 'warning',
    BulwarkErrorBudgetBurnFast: null,
  },
);
scenario(
  '0.05 % errors stay quiet',
  30,
  [counter({ status_code: '201' }, 1000, 30), counter({ status_code: '500' }, 0.5, 30)],
  {
    BulwarkErrorRatioHigh: null,
    BulwarkErrorBudgetBurnFast: null,
    BulwarkErrorBudgetBurnSlow: null,
  },
);
scenario(
  'readiness 503s during shutdown are not errors',
  30,
  [
    counter({ status_code: '201' }, 1000, 30),
    counter({ method: 'GET', route: '/health/ready', status_code: '503' }, 100, 30),
  ],
  { BulwarkErrorRatioHigh: null, BulwarkErrorBudgetBurnFast: null },
);

// p95 over 200 ms.
scenario('p95 ≈ 450 ms fires BulwarkLatencyP95High', 30, histogram(600, 30, { '0.1': 0.5, '0.5': 0.5 }), {
  BulwarkLatencyP95High: 'warning',
});
scenario('p95 under 100 ms stays quiet', 30, histogram(600, 30, { '0.05': 0.9, '0.1': 0.1 }), {
  BulwarkLatencyP95High: null,
});
scenario(
  'p95 ≈ 190 ms stays quiet (just under the objective)',
  30,
  histogram(600, 30, { '0.1': 0.5, '0.2': 0.5 }),
  { BulwarkLatencyP95High: null },
);

// Multi-window burn rate, fast: 14.4 × budget over 1h and 5m (or 6 × over 6h and 30m).
scenario(
  '5 % errors for 90 min fire BulwarkErrorBudgetBurnFast',
  90,
  [counter({ status_code: '201' }, 950, 90), counter({ status_code: '500' }, 50, 90)],
  {
    BulwarkErrorBudgetBurnFast: 'critical',
  },
);
scenario(
  'a 5-minute 5 % spike after 2 clean hours stays quiet: the long windows disagree',
  125,
  [counter({ status_code: '201' }, 1000, 125), burst({ status_code: '500' }, 50, 125, 5)],
  { BulwarkErrorBudgetBurnFast: null, BulwarkErrorBudgetBurnSlow: null },
);

// The SLO is not reset by a promotion: blue serves 0.5 % errors for 27 minutes, then green (promoted)
// goes on the same way. Per namespace the alert has been firing since minute 10 and stays firing at
// minute 30; per colour, green's alert would be a new one, still pending its `for: 5m`.
const green = { service: `${FULLNAME}-green`, color: 'green' };
scenario(
  '0.5 % errors across a promotion (blue, then green) keep BulwarkErrorRatioHigh firing',
  30,
  [
    { series: `http_requests_total${sel({ status_code: '201' })}`, values: '0+1000x27 27000x3' },
    { series: `http_requests_total${sel({ status_code: '500' })}`, values: '0+5x27 135x3' },
    { series: `http_requests_total${sel({ ...green, status_code: '201' })}`, values: '0x27 1000+1000x2' },
    { series: `http_requests_total${sel({ ...green, status_code: '500' })}`, values: '0x27 5+5x2' },
  ],
  { BulwarkErrorRatioHigh: 'warning' },
);
// A canary (green, 10 % of the traffic) failing 2 % of its requests costs the service 0.2 %: over
// the budget, so the per-namespace SLO sees it although blue is clean.
scenario(
  'a canary failing 2 % of 10 % of the traffic counts against the service budget',
  30,
  [
    counter({ status_code: '201' }, 900, 30),
    counter({ ...green, status_code: '201' }, 98, 30),
    counter({ ...green, status_code: '500' }, 2, 30),
  ],
  { BulwarkErrorRatioHigh: 'warning' },
);

// Slow: 3 × budget over 1d and 2h, or 1 × budget over 3d and 6h.
scenario(
  '0.4 % errors for 26 h fire BulwarkErrorBudgetBurnSlow',
  1560,
  [counter({ status_code: '201' }, 996, 1560), counter({ status_code: '500' }, 4, 1560)],
  {
    BulwarkErrorBudgetBurnSlow: 'ticket',
    BulwarkErrorBudgetBurnFast: null,
  },
);
scenario(
  '0.15 % errors for 7 h fire BulwarkErrorBudgetBurnSlow (1 × over 3d and 6h)',
  420,
  [counter({ status_code: '201' }, 1998.5, 420), counter({ status_code: '500' }, 3, 420)],
  {
    BulwarkErrorBudgetBurnSlow: 'ticket',
    BulwarkErrorBudgetBurnFast: null,
  },
);
scenario(
  '0.05 % errors for 26 h stay quiet',
  1560,
  [counter({ status_code: '201' }, 1000, 1560), counter({ status_code: '500' }, 0.5, 1560)],
  {
    BulwarkErrorBudgetBurnSlow: null,
    BulwarkErrorBudgetBurnFast: null,
    BulwarkErrorRatioHigh: null,
  },
);

// Outbox backlog: the oldest pending event older than 300 s for 2 minutes. Only the active colour
// refreshes the gauge; the other reports 0, so the alert reads the maximum.
scenario(
  'an event pending for 10 minutes fires BulwarkOutboxBacklogOld',
  15,
  [
    own('bulwark_outbox_oldest_pending_age_seconds', '0x5 60+60x10'),
    own('bulwark_outbox_oldest_pending_age_seconds', '0x15', {
      service: `${FULLNAME}-green`,
      color: 'green',
      pod: 'g',
    }),
  ],
  { BulwarkOutboxBacklogOld: 'warning' },
);
scenario(
  'events delivered within a minute keep BulwarkOutboxBacklogOld quiet',
  15,
  [own('bulwark_outbox_oldest_pending_age_seconds', '0 30 2 45 0 10 59 0 3 20 0 50 0 1 0 0')],
  { BulwarkOutboxBacklogOld: null },
);
scenario(
  'a backlog that drains within 2 minutes of crossing 300 s stays quiet',
  15,
  [own('bulwark_outbox_oldest_pending_age_seconds', '0x8 290 350 0x5')],
  { BulwarkOutboxBacklogOld: null },
);

// Dead deliveries: any in the last 15 minutes.
scenario(
  'two deliveries ending dead fire BulwarkWebhookDeadDeliveries',
  20,
  [
    own('bulwark_webhook_deliveries_total', '0x15 1 2 2 2 2 2', { result: 'dead' }),
    own('bulwark_webhook_deliveries_total', '0+100x20', { result: 'delivered' }),
  ],
  { BulwarkWebhookDeadDeliveries: 'warning' },
);
scenario(
  'failed attempts that are retried and delivered keep BulwarkWebhookDeadDeliveries quiet',
  20,
  [
    own('bulwark_webhook_deliveries_total', '0x20', { result: 'dead' }),
    own('bulwark_webhook_deliveries_total', '0+5x20', { result: 'failed' }),
    own('bulwark_webhook_deliveries_total', '0+100x20', { result: 'delivered' }),
  ],
  { BulwarkWebhookDeadDeliveries: null },
);
scenario(
  'a dead delivery 30 minutes ago is no longer news',
  45,
  [own('bulwark_webhook_deliveries_total', '0x10 1x35', { result: 'dead' })],
  { BulwarkWebhookDeadDeliveries: null },
);

// Pool saturation: queries waiting for a connection at every scrape for 5 minutes, then 2 more.
scenario(
  'queries waiting for a connection for 10 minutes fire BulwarkDatabasePoolSaturated',
  15,
  [own('bulwark_db_pool_waiting_requests', '0x5 3+1x10')],
  { BulwarkDatabasePoolSaturated: 'warning' },
);
scenario(
  'short bursts of waiting keep BulwarkDatabasePoolSaturated quiet',
  15,
  [own('bulwark_db_pool_waiting_requests', '0 4 0 0 7 0 0 2 0 9 0 0 5 0 0 3')],
  { BulwarkDatabasePoolSaturated: null },
);

// Readiness flapping: a pod turning not ready 3 times within 15 minutes.
scenario(
  'a pod turning not ready 4 times in 12 minutes fires BulwarkReadinessFlapping',
  15,
  [
    own('bulwark_readiness_transitions_total', '0x3 1 1 1 2 2 2 3 3 3 4 4 4 4', { to: 'not_ready' }),
    own('bulwark_readiness_transitions_total', '0x3 0 1 1 1 2 2 2 3 3 3 4 4 4', { to: 'ready' }),
  ],
  { BulwarkReadinessFlapping: 'warning' },
);
scenario(
  'one outage (not ready once, ready again) keeps BulwarkReadinessFlapping quiet',
  15,
  [
    own('bulwark_readiness_transitions_total', '0x5 1x10', { to: 'not_ready' }),
    own('bulwark_readiness_transitions_total', '0x8 1x7', { to: 'ready' }),
  ],
  { BulwarkReadinessFlapping: null },
);
scenario(
  'three pods each shutting down once keep BulwarkReadinessFlapping quiet (it is per pod)',
  15,
  ['a', 'b', 'c'].map((pod) =>
    own('bulwark_readiness_transitions_total', '0x5 1x10', { to: 'not_ready', pod }),
  ),
  { BulwarkReadinessFlapping: null },
);

describe('PrometheusRule (promtool)', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('deploy-promtool');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), yaml.dump({ groups }));
    // Summaries and descriptions hold templates ($value, humanize…) that promtool would compare
    // literally; the logic and the runbook link are what these tests pin, and `check rules` below
    // parses the templates.
    const bare = groups.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations, ...r }) =>
        annotations ? { ...r, annotations: { runbook_url: annotations.runbook_url } } : r,
      ),
    }));
    fs.writeFileSync(path.join(dir, 'rules-bare.yaml'), yaml.dump({ groups: bare }));
    fs.writeFileSync(
      path.join(dir, 'tests.yaml'),
      yaml.dump({
        rule_files: ['rules-bare.yaml'],
        evaluation_interval: '1m',
        tests: tests.map(({ name: _n, ...t }) => ({ interval: '1m', ...t })),
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('defines the SLO and the operational alerts', () => {
    expect([...alerts].sort()).toEqual([
      'BulwarkDatabasePoolSaturated',
      'BulwarkErrorBudgetBurnFast',
      'BulwarkErrorBudgetBurnSlow',
      'BulwarkErrorRatioHigh',
      'BulwarkLatencyP95High',
      'BulwarkOutboxBacklogOld',
      'BulwarkReadinessFlapping',
      'BulwarkWebhookDeadDeliveries',
    ]);
  });

  it('every alert links its runbook, and every runbook link resolves to a file of docs/runbooks', () => {
    for (const r of groups.flatMap((g) => g.rules).filter((x) => x.alert)) {
      const url = r.annotations?.runbook_url ?? '';
      expect({ alert: r.alert, url }).toEqual({ alert: r.alert, url: runbookUrl(r.alert!) });
      const file = path.join(ROOT, 'docs', 'runbooks', url.slice(RUNBOOKS.length + 1));
      expect({ file, exists: fs.existsSync(file) }).toEqual({ file, exists: true });
    }
  });

  it('by default the runbook links point at the repository named as the chart home', () => {
    const chart = yaml.load(fs.readFileSync(path.join(ROOT, 'helm', 'bulwark', 'Chart.yaml'), 'utf8')) as {
      home: string;
    };
    const plain = find(render({ set: { 'prometheusRule.enabled': true } }), 'PrometheusRule', FULLNAME);
    const urls = (plain.spec.groups as { rules: Rule[] }[])
      .flatMap((g) => g.rules)
      .filter((r) => r.alert)
      .map((r) => r.annotations?.runbook_url);
    expect(urls).toContain(`${chart.home}/blob/main/docs/runbooks/BulwarkErrorRatioHigh.md`);
    expect(urls.every((u) => u?.startsWith(`${chart.home}/blob/main/docs/runbooks/`))).toBe(true);
  });

  it('aggregates the SLO per namespace; per-colour series only in recording rules no alert reads', () => {
    const records = groups.flatMap((g) => g.rules);
    const slo = records.filter((r) => r.record && !r.record.includes('_by_color'));
    expect(slo.length).toBeGreaterThanOrEqual(8);
    for (const r of slo) {
      expect(r.expr).toMatch(/by \(namespace(, le)?\)/);
      expect(r.expr).not.toContain('color');
    }
    const byColor = records.filter((r) => r.record?.includes('_by_color')).map((r) => r.record);
    expect(byColor.sort()).toEqual([
      'bulwark:http_error_ratio_by_color:rate5m',
      'bulwark:http_request_duration_seconds_by_color:p95_5m',
    ]);
    for (const a of records.filter((r) => r.alert)) expect(a.expr).not.toContain('_by_color');
    // Every expression selects this release's series (the ServiceMonitor's labels).
    for (const r of records.filter((x) => x.expr.includes('{')))
      expect(r.expr).toContain(`namespace="${NAMESPACE}",service=~"${FULLNAME}-(blue|green)"`);
  });

  it('promtool check rules accepts them', () => {
    const res = run('promtool', ['check', 'rules', path.join(dir, 'rules.yaml')]);
    expect(res.stdout + res.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(res.status).toBe(0);
  });

  it('every alert has a firing and a quiet case', () => {
    for (const alert of alerts) {
      const cases = tests.flatMap((t) => t.alert_rule_test.filter((a) => a.alertname === alert));
      expect(cases.some((c) => c.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0)).toBe(true);
    }
  });

  it('promtool test rules: each alert fires on a bad series and stays quiet on a good one', () => {
    const res = run('promtool', ['test', 'rules', path.join(dir, 'tests.yaml')], { cwd: dir });
    expect(res.stdout + res.stderr).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it('the unit tests can fail (self-test: a quiet expectation on a bad series)', () => {
    const broken = {
      ...tests[0],
      alert_rule_test: [{ eval_time: '30m', alertname: 'BulwarkErrorRatioHigh', exp_alerts: [] }],
    };
    const { name: _n, ...t } = broken;
    fs.writeFileSync(
      path.join(dir, 'broken.yaml'),
      yaml.dump({
        rule_files: ['rules-bare.yaml'],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', ...t }],
      }),
    );
    const res = run('promtool', ['test', 'rules', path.join(dir, 'broken.yaml')], { cwd: dir });
    expect(res.status).not.toBe(0);
  });
});
