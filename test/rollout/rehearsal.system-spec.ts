// The rollout rehearsal, for real: PostgreSQL (a fresh database of the run's server), two built
// Bulwark processes (blue active, green preview with the scenario's faults), nginx in front,
// Prometheus scraping both every second, a steady load through nginx, and the built tool on the
// nginx platform. Each scenario asserts on the tool's exit code and on nginx's final weights.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RehearsalReport } from '../../src/rollout/rehearsal/rehearsal';
import { renderInChromium, RenderedPage } from '../helpers/browser';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { REHEARSAL_RUN_ARGS } from '../../src/rollout/rehearsal/scenarios';
import { CANARY_VERSION } from '../../src/rollout/rehearsal/stage';
import { REHEARSAL_NAMESPACE } from '../../src/rollout/rehearsal/argo-readings';
import { analysisTemplate, argoVerdicts } from './helpers/argo-verdicts';

const ROOT = resolve(__dirname, '..', '..');
// The built tree (scripts/test.sh builds it first); BULWARK_DIST points elsewhere when needed.
const DIST = process.env.BULWARK_DIST ? resolve(process.env.BULWARK_DIST) : join(ROOT, 'dist');
const REHEARSE = join(DIST, 'rollout', 'rehearsal', 'rehearse.js');
const work = mkdtempSync(join(tmpdir(), 'rollout-rehearsal-spec-'));
// The screenshots of each scenario's report page (docs/images/rollout-report-faulty.png is one).
const SCREENSHOTS = join(ROOT, '.tmp', 'rollout-reports');

// One scenario takes about 70 s on a quiet 2-core machine and over 2 min on a busy one (load average
// above 20 while other suites run): the limit is for a hung stage, not for a slow machine.
jest.setTimeout(300_000);

beforeAll(() => {
  for (const f of [REHEARSE, join(DIST, 'main.js'), join(DIST, 'rollout', 'cli.js')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build first (npm run build; scripts/test.sh does)`);
  }
  // Idempotent and quick when nginx and Prometheus are there already.
  const setup = spawnSync('bash', [join(ROOT, 'scripts', 'setup.d', '30-rehearsal-tools.sh')], {
    encoding: 'utf8',
  });
  if (setup.status !== 0) throw new Error(`installing nginx and prometheus failed: ${setup.stderr}`);
  const browser = spawnSync('bash', [join(ROOT, 'scripts', 'setup.d', '40-browser.sh')], {
    encoding: 'utf8',
  });
  if (browser.status !== 0) throw new Error(`installing chromium failed: ${browser.stderr}`);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

// A rehearsal still running when its test gave up (timeout) is told to tear its stage down.
const running = new Set<ChildProcess>();
afterEach(() => running.forEach((c) => c.kill('SIGTERM')));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  output: string;
  report: RehearsalReport;
  /** The tool's report page of the run (`run --report`), as headless Chromium drew it. */
  page: RenderedPage;
}

async function rehearse(scenario: string): Promise<Outcome> {
  const db: TestDatabase = await createTestDatabase('bulwark_rehearsal');
  const reportFile = join(work, `${scenario}.json`);
  const htmlFile = join(work, `${scenario}.html`);
  try {
    const child = spawn(
      process.execPath,
      [
        REHEARSE,
        '--scenario',
        scenario,
        '--database-url',
        db.url,
        '--report',
        reportFile,
        '--html',
        htmlFile,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    running.delete(child);
    if (!existsSync(reportFile)) throw new Error(`the rehearsal wrote no report (exit ${code}):\n${output}`);
    if (!existsSync(htmlFile)) throw new Error(`the tool wrote no report page (exit ${code}):\n${output}`);
    const page = await renderInChromium(htmlFile, join(SCREENSHOTS, `rollout-report-${scenario}.png`));
    return { code, output, report: JSON.parse(readFileSync(reportFile, 'utf8')) as RehearsalReport, page };
  } finally {
    await db.drop();
  }
}

/**
 * The report page opened in Chromium: no console error, no request beyond its own file, the verdict
 * on top, and every chart drew (the weight steps, and per round the error ratio and the p95 of the
 * canary and the stable colour against the limits: at least a line and a point per round).
 */
function expectReportDrawn({ code, page, report }: Outcome): void {
  expect({ errors: page.errors, requests: page.requests }).toEqual({ errors: [], requests: [] });
  expect(page.verdict).toMatch(code === 0 ? /^PROMOTED/ : /^ROLLED BACK/);
  const rounds = decisions(report, 'decision').length;
  expect(rounds).toBeGreaterThan(0);
  expect(page.charts.map((c) => c.label)).toEqual([
    'Canary weight over time, with each round’s decision',
    'Error ratio per round: canary and stable against the limits',
    'p95 latency per round: canary and stable against the limits',
  ]);
  for (const chart of page.charts) {
    expect(chart.width).toBeGreaterThan(100);
    expect(chart.shapes).toBeGreaterThanOrEqual(rounds + 1);
  }
}

const flag = (name: string): string => REHEARSAL_RUN_ARGS[REHEARSAL_RUN_ARGS.indexOf(name) + 1];

/**
 * Engine argo's verdicts on the same canary: the chart's AnalysisTemplate, rendered with the
 * rehearsal's thresholds, held against its queries' results read from the rehearsal's Prometheus
 * after each of the tool's rounds.
 */
function argoJudges(report: RehearsalReport) {
  expect(report.argoReadings.length).toBeGreaterThan(0);
  const template = analysisTemplate({
    maxErrorRate: flag('--max-error-rate'),
    maxP95: flag('--max-p95'),
    minRequests: flag('--min-requests'),
  });
  const verdicts = argoVerdicts(template, report.argoReadings, {
    namespace: REHEARSAL_NAMESPACE,
    'canary-version': CANARY_VERSION,
    window: flag('--window'),
    'min-requests': flag('--min-requests'),
  });
  return report.argoReadings.map((reading, i) => ({ tool: reading.toolChecks, argo: verdicts[i] }));
}

/**
 * Runs a rehearsal exactly as docs/rollout-transcripts.md prints it (its `$ ` line for the scenario),
 * from the repository root, with the suite's database in DATABASE_URL (which the rehearsal reads when
 * no --database-url is given). With BULWARK_DIST elsewhere, the printed dist/ path is that tree.
 */
async function rehearsePrinted(scenario: string): Promise<{ code: number | null; output: string }> {
  const doc = readFileSync(join(ROOT, 'docs', 'rollout-transcripts.md'), 'utf8');
  const line = doc.split('\n').find((l) => l.startsWith('$ ') && l.endsWith(`--scenario ${scenario}`));
  if (!line) throw new Error(`docs/rollout-transcripts.md prints no \`$ … --scenario ${scenario}\` line`);
  const [command, ...args] = line
    .slice(2)
    .split(/\s+/)
    .map((w) => (w.startsWith('dist/') ? join(DIST, w.slice('dist/'.length)) : w));
  const db: TestDatabase = await createTestDatabase('bulwark_rehearsal');
  try {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    running.delete(child);
    return { code, output };
  } finally {
    await db.drop();
  }
}

const decisions = (r: RehearsalReport, event: string) =>
  r.decisions.filter((e) => e.event === event) as Array<Record<string, unknown>>;

describe('rollout rehearsal (nginx platform, real processes)', () => {
  it('faulty: a canary failing 20 % of requests is rolled back at the first step', async () => {
    const outcome = await rehearse('faulty');
    expectReportDrawn(outcome);
    const { code, output, report } = outcome;
    expect({ code, weights: report.routing.weights, active: report.routing.activeColor }).toEqual({
      code: 2,
      weights: { blue: 100, green: 0 },
      active: 'blue',
    });
    // Never past the first step, rolled back because of the error rate.
    expect(decisions(report, 'weight').map((e) => e.weight)).toEqual([20]);
    expect(decisions(report, 'check').some((e) => e.check === 'error-rate' && e.status === 'fail')).toBe(
      true,
    );
    // What clients saw over the whole run stays below what the first step's weight allows.
    const allowed = (report.firstStepWeight / 100) * report.canaryFaultErrorRate;
    expect(report.load.failedShare).toBeGreaterThan(0);
    expect(report.load.failedShare).toBeLessThan(allowed);
    // Afterwards no request reaches the canary and none fails.
    expect(report.tail.byColour).toEqual({ blue: expect.objectContaining({ failed: 0 }) });
    expect(report.after.colours).toEqual({ blue: 40 });
    // Every decision shows its PromQL, the value seen and the threshold.
    expect(output).toMatch(
      /error-rate: FAIL value=0\.\d+ threshold <= 0\.01[\s\S]*query: \(sum\(increase\(http_requests_total\{color="green"/,
    );
    // Argo, with the chart's AnalysisTemplate, fails the error rate where the tool did, and never
    // passes it there.
    const judged = argoJudges(report);
    const toolFailed = judged.filter((j) => j.tool['error-rate'] === 'fail');
    expect(toolFailed.length).toBeGreaterThan(0);
    expect(toolFailed.map((j) => j.argo['error-rate'])).toEqual(toolFailed.map(() => 'Failed'));
  });

  it('slow: a canary adding 400 ms is rolled back on p95', async () => {
    const outcome = await rehearse('slow');
    expectReportDrawn(outcome);
    const { code, report } = outcome;
    expect({ code, weights: report.routing.weights, active: report.routing.activeColor }).toEqual({
      code: 2,
      weights: { blue: 100, green: 0 },
      active: 'blue',
    });
    const failed = decisions(report, 'check').filter((e) => e.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    // Rolled back on latency only: against stable (stable p95 × 1.25 + 0.15 s) and, on a machine so
    // busy that even its p95 passes 2 s, against the absolute ceiling too.
    const checks = new Set(failed.map((e) => e.check));
    expect([...checks].filter((c) => c !== 'p95' && c !== 'p95-vs-stable')).toEqual([]);
    // Every request of the slow canary takes over 0.4 s: its p95 cannot be below the (0.3, 0.5]
    // bucket's interpolated 0.49.
    expect(failed.every((e) => (e.value as number) > 0.45)).toBe(true);
    expect(report.after.colours).toEqual({ blue: 40 });
  });

  it('healthy: a good canary is promoted and all traffic reaches the new version', async () => {
    const outcome = await rehearse('healthy');
    expectReportDrawn(outcome);
    const { code, report } = outcome;
    expect({ code, weights: report.routing.weights, active: report.routing.activeColor }).toEqual({
      code: 0,
      weights: { blue: 0, green: 100 },
      active: 'green',
    });
    expect(decisions(report, 'weight').map((e) => e.weight)).toEqual([20, 50, 100]);
    expect(report.after).toEqual({ colours: { green: 40 }, versions: { '1.1.0': 40 } });
    expect(Object.keys(report.tail.byColour)).toEqual(['green']);
    expect(report.load.failed).toBe(0);
    // Argo, with the chart's AnalysisTemplate, passes the rounds the tool passed and fails none of
    // them. (Rounds the tool found inconclusive are left out: the readings come a moment after the
    // tool's, and the canary's request count may just cross the minimum in between.)
    const judged = argoJudges(report);
    const passed = judged.filter((j) => Object.values(j.tool).every((s) => s === 'pass'));
    expect(passed.length).toBeGreaterThan(0);
    expect(
      passed.flatMap((j) => Object.values(j.argo)).filter((p) => p === 'Failed' || p === 'Error'),
    ).toEqual([]);
    expect(passed.some((j) => Object.values(j.argo).every((p) => p === 'Successful'))).toBe(true);
    // Sized before the step above 50 % and before promotion (1 instance each: nothing to add).
    expect(decisions(report, 'sized').map((e) => e.weight)).toEqual([100, 100]);
    // The background work moved with the promotion: the instances' active-colour file names green.
    expect(report.activeColorFile).toBe('green');
    // The old colour is due to be scaled down after the default 10 minutes.
    expect(decisions(report, 'scale-down')).toEqual([
      expect.objectContaining({ colour: 'blue', delaySeconds: 600 }),
    ]);
  });

  it('blind: with Prometheus stopped during the run the canary is never promoted', async () => {
    const outcome = await rehearse('blind');
    expectReportDrawn(outcome);
    const { code, report } = outcome;
    expect(code).toBe(2);
    expect(decisions(report, 'promoted')).toEqual([]);
    expect(report.routing).toMatchObject({ weights: { blue: 100, green: 0 }, activeColor: 'blue' });
    expect(decisions(report, 'check').some((e) => e.providerError === true)).toBe(true);
    expect(report.after.colours).toEqual({ blue: 40 });
  });

  it('crash: a canary killed with SIGKILL during the first step is rolled back within 2 rounds (run as the docs print it)', async () => {
    const { code, output } = await rehearsePrinted('crash');
    const said = (re: RegExp) => expect(output).toMatch(re);
    expect(code).toBe(2);
    said(/^rehearsal: nginx weights now: blue=100 green=0 \(active blue\)$/m);
    // Killed during the first step; never raised past it.
    said(/^rehearsal: killing the canary \(green\) with SIGKILL now \(the crash scenario\)$/m);
    said(/\[step 1\/3\] weight 20% to the canary/);
    expect(output).not.toMatch(/weight 50% to the canary/);
    // At most 2 analysis rounds from the kill to weight 0, and the time between printed.
    const m =
      /^rehearsal: the canary was killed at [\d:.]+; weight 0 at [\d:.]+: (\d+\.\d) s from the kill to weight 0, (\d+) analysis rounds?$/m.exec(
        output,
      );
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThanOrEqual(1);
    expect(Number(m![2])).toBeLessThanOrEqual(2);
    // It was the platform's health check that failed the rounds: the preview's upstream refused.
    said(
      /preview-health: FAIL value=0 threshold >= 1 — preview colour cannot serve its share: 0 of 1 green instances ready \(127\.0\.0\.1:\d+: ECONNREFUSED\)/,
    );
    said(
      /ROLLED BACK: blue keeps all traffic, canary weight 0 — a check failed; failed checks 2\/2: rolling back/,
    );
    // The rejected colour is due to be scaled down after the default 30 s.
    said(/scale-down of green in 30s: green \(1\.1\.0\) gets no traffic/);
    said(/^rehearsal: 40 requests through nginx afterwards reached: blue 40; versions 1\.0\.0 40$/m);
    said(/^rehearsal: done in [\d.]+ s: as expected$/m);
  });

  it('unsized: a 1-instance preview beside 2 active ones is refused past 50 % and rolled back', async () => {
    const { code, report } = await rehearse('unsized');
    expect({ code, weights: report.routing.weights, active: report.routing.activeColor }).toEqual({
      code: 2,
      weights: { blue: 100, green: 0 },
      active: 'blue',
    });
    // A healthy canary: no check fails (listed here, so that a failure says which and why).
    expect(
      decisions(report, 'check')
        .filter((e) => e.status === 'fail')
        .map((e) => `${e.check} at ${e.weight}%: ${e.reason}`),
    ).toEqual([]);
    // Never above 50 %: the nginx platform starts no process, so it refuses rather than sizes.
    expect(decisions(report, 'weight').map((e) => e.weight)).toEqual([20, 50]);
    expect(decisions(report, 'sized')).toEqual([]);
    expect(decisions(report, 'rolled-back')).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(
          /^refusing to go past 50 %: green has 1 instance, blue has 2: the nginx platform starts no process/,
        ),
      }),
    ]);
    expect(report.after.colours).toEqual({ blue: 40 });
  });
});
