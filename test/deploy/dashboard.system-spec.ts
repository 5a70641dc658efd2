// The chart's Grafana dashboard, evaluated for real: the rehearsal's stage (src/rollout/rehearsal/
// stage.ts) starts two built Bulwark processes (blue 1.0.0 active, green 1.1.0), nginx in front, a
// steady load, and a real Prometheus scraping both every second — here with the labels the chart's
// ServiceMonitor gives the series on Kubernetes (namespace, service, pod) and the chart's
// PrometheusRule loaded, so that the recording rules the SLO panels read exist. Every panel query of
// the ConfigMap the chart renders must parse and return series; every PromQL query the runbooks
// print must parse.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stage } from '../../src/rollout/rehearsal/stage';
import { SCENARIOS } from '../../src/rollout/rehearsal/scenarios';
import { pollUntil } from '../../src/rollout/rehearsal/processes';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { FULLNAME, NAMESPACE, find, render } from '../helpers/deploy/render';
import { runbookBlocks } from '../helpers/deploy/runbooks';
import { ROOT, scratchDir } from '../helpers/deploy/tools';
import { yaml } from '../helpers/deploy/yaml';

const DIST = process.env.BULWARK_DIST ? path.resolve(process.env.BULWARK_DIST) : path.join(ROOT, 'dist');
const APP = path.join(DIST, 'main.js');

jest.setTimeout(180_000);

const objects = render({ set: { 'prometheusRule.enabled': true, 'dashboard.enabled': true } });
const configMap = find(objects, 'ConfigMap', `${FULLNAME}-dashboard`);
const dashboard = JSON.parse(configMap.data['bulwark.json'] as string) as {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
};
const panelQueries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const rules = find(objects, 'PrometheusRule', FULLNAME).spec.groups as unknown[];

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: unknown[] };
}

describe('Grafana dashboard (chart ConfigMap) against a real Prometheus scraping real Bulwark', () => {
  let dir: string;
  let db: TestDatabase;
  let stage: Stage;
  const query = async (expr: string): Promise<QueryAnswer> => {
    const res = await fetch(`${stage.prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    return (await res.json()) as QueryAnswer;
  };

  beforeAll(async () => {
    if (!fs.existsSync(APP)) throw new Error(`${APP} is missing: build first (npm run build)`);
    const setup = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup.d', '30-rehearsal-tools.sh')], {
      encoding: 'utf8',
    });
    if (setup.status !== 0) throw new Error(`installing nginx and prometheus failed: ${setup.stderr}`);
    dir = scratchDir('deploy-dashboard');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), yaml.dump({ groups: rules }));
    db = await createTestDatabase('bulwark_dashboard');
    // The ServiceMonitor's labels: the chart's selector (namespace, service) matches them.
    const labels = (colour: 'blue' | 'green') => ({
      namespace: NAMESPACE,
      service: `${FULLNAME}-${colour}`,
      pod: `${FULLNAME}-${colour}-0`,
    });
    stage = new Stage({
      workDir: path.join(dir, 'stage'),
      databaseUrl: db.url,
      scenario: SCENARIOS.healthy,
      env: process.env,
      appEntry: APP,
      loadRate: 20,
      targetLabels: { blue: labels('blue'), green: labels('green') },
      ruleFiles: [path.join(dir, 'rules.yaml')],
    });
    await stage.up();
    await stage.startLoad();
    await stage.waitForMetrics();
    // The load goes to blue (the active colour); some API traffic for green too, straight to it, so
    // the per-colour panels compare two colours as during a canary.
    const token = await stage.token();
    for (let i = 0; i < 20; i += 1)
      await fetch(`http://127.0.0.1:${stage.ports.green}/v1/users/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
    // Both colours' API traffic seen, and the recording rules evaluated on it.
    await pollUntil(
      'per-colour recording rules evaluated for both colours',
      async () =>
        ((await query(`bulwark:http_error_ratio_by_color:rate5m{namespace="${NAMESPACE}"}`)).data?.result
          .length ?? 0) === 2 || 'not yet',
      60_000,
      500,
    );
    // The SLO group is evaluated on its own schedule: wait until it too has seen the traffic.
    await pollUntil(
      'SLO recording rules evaluated',
      async () =>
        ((await query(`bulwark:http_request_duration_seconds:p95_5m{namespace="${NAMESPACE}"}`)).data?.result
          .length ?? 0) === 1 || 'not yet',
      60_000,
      500,
    );
  });

  afterAll(async () => {
    await stage?.down();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a ConfigMap with the Grafana sidecar label, one JSON key, queries scoped to the release', () => {
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(Object.keys(configMap.data)).toEqual(['bulwark.json']);
    expect(panelQueries.length).toBeGreaterThanOrEqual(25);
    for (const { expr } of panelQueries) expect(expr).not.toMatch(/__BULWARK_/);
    const titles = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(titles).toEqual([
      'Build',
      'RED per route',
      'RED per colour and version',
      'Canary against stable',
      'SLO and error budget',
      'Webhooks',
      'Database pool',
      'Process',
    ]);
  });

  it('takes prometheusRule.selector as it is, quotes and backslashes included', () => {
    // A values file: `--set` would split the selector at its comma and eat its backslashes.
    const selector = String.raw`namespace="shop",release=~"bul\\.wark"`;
    const file = path.join(scratchDir('deploy-dashboard-values'), 'values.yaml');
    fs.writeFileSync(file, yaml.dump({ dashboard: { enabled: true }, prometheusRule: { selector } }));
    const cm = find(render({ valuesFiles: [file] }), 'ConfigMap', `${FULLNAME}-dashboard`);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    const exprs = (JSON.parse(cm.data['bulwark.json'] as string) as typeof dashboard).panels.flatMap((p) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    const own = exprs.filter((e) => !e.startsWith('bulwark:') && !e.startsWith('vector('));
    expect(own.length).toBeGreaterThanOrEqual(20);
    for (const e of own) expect(e).toContain(`{${selector}`);
  });

  it('every panel query parses and returns series', async () => {
    const failures: { panel: string; expr: string; problem: string }[] = [];
    for (const { panel, expr } of panelQueries) {
      const answer = await query(expr);
      if (answer.status !== 'success') failures.push({ panel, expr, problem: answer.error ?? answer.status });
      else if ((answer.data?.result.length ?? 0) === 0) failures.push({ panel, expr, problem: 'no series' });
    }
    expect(failures).toEqual([]);
  });

  it('the per-colour and per-version panels see both colours and versions', async () => {
    const expr = panelQueries.find((q) => q.panel === 'Requests per colour and version')!.expr;
    const answer = await query(expr);
    const seen = (answer.data?.result as { metric: Record<string, string> }[]).map(
      (r) => `${r.metric.color} ${r.metric.app_version}`,
    );
    expect(seen.sort()).toEqual(['blue 1.0.0', 'green 1.1.0']);
  });

  it('a query naming a series that does not exist returns nothing (the check can fail)', async () => {
    const answer = await query(`sum(rate(bulwark_no_such_series{namespace="${NAMESPACE}"}[5m]))`);
    expect(answer.status).toBe('success');
    expect(answer.data?.result).toEqual([]);
    expect((await query('sum(rate(http_requests_total[5m]')).status).toBe('error');
  });

  it('every PromQL query the runbooks print parses', async () => {
    const blocks = runbookBlocks('promql');
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    const failures: { file: string; text: string; problem: string }[] = [];
    for (const { file, text } of blocks) {
      const answer = await query(text);
      if (answer.status !== 'success') failures.push({ file, text, problem: answer.error ?? answer.status });
    }
    expect(failures).toEqual([]);
  });
});
