import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminUrl } from '../helpers/database';
import { DIST_DIR } from '../helpers/service';

/**
 * `npm run bench --quick` proves the bench works end to end (docs/performance.md): both servers
 * start, answer real requests with 2xx, issue the same SQL per route, and the results have their
 * documented shape. Nothing here is about speed: no figure is compared with a threshold.
 */

const ROOT = join(__dirname, '..', '..');

/** The scenarios run against both servers (login runs against Bulwark alone). */
const AB_SCENARIOS = ['productRead', 'orderRead', 'createOrder', 'mixed32', 'mixed128', 'mixedFixedRate'];
/** The parts of the CPU split by thread (bench/lib/processes.js, cpuSplitOf), sorted. */
const SPLIT_PARTS = ['mainSystem', 'mainUser', 'otherThreads', 'v8Workers'];

/**
 * The per-thread split of a run's CPU (bench/lib/processes.js, cpuSplitOf) has its four parts, the
 * main thread ran JavaScript, and the parts add up to the process total: both are sums of the same
 * kernel counters, apart from each thread's rounding to a clock tick (10 ms; about a dozen threads)
 * and a thread that ended during the run, which the allowance covers.
 */
function expectSplitOfTotal(name: string, server: RunFigures | null | undefined): void {
  const split = server?.cpuSplitUsPerRequest;
  expect({ name, parts: Object.keys(split ?? {}).sort() }).toEqual({ name, parts: SPLIT_PARTS });
  const parts = Object.values(split ?? {});
  for (const part of parts) expect(part).toBeGreaterThanOrEqual(0);
  expect(split?.mainUser).toBeGreaterThan(0);
  const total = server?.cpuUsPerRequest ?? 0;
  const sum = parts.reduce((a, b) => a + b, 0);
  const allowance = 0.1 * total + (16 * 10_000) / (server?.requests ?? 1);
  expect({ name, sum, total, within: Math.abs(sum - total) <= allowance }).toEqual({
    name,
    sum,
    total,
    within: true,
  });
}

interface RunFigures {
  rps: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  requests: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
  cpuUsPerRequest: number | null;
  cpuSplitUsPerRequest: Record<string, number> | null;
}

interface BenchResult {
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string };
  versions: Record<string, string | null>;
  statementCheck: Record<
    string,
    {
      same: boolean;
      bulwark: { status: number; statements: string[] };
      baseline: { status: number; statements: string[] };
    }
  >;
  coldStartMs: { runs: number[]; median: number };
  metricsScrape: { distinctPaths: number; medianMs: number; series: number };
  scenarios: Record<
    string,
    {
      connections: number;
      bulwark: RunFigures;
      baseline: RunFigures | null;
      ratio: number | null;
      runs: { bulwark: unknown[]; baseline: unknown[] };
    }
  >;
  ratios: Record<'createOrder' | 'productRead' | 'orderRead' | 'mixed', number>;
  cpuRatios: Record<string, number | null>;
  bulwarkRssAtReadyMb: number;
  baselineRssAtReadyMb: number;
  bulwarkPeakRssMb: number;
  baselinePeakRssMb: number;
  tracing?: {
    off: RunFigures;
    on: RunFigures;
    cpuRatio: number | null;
    spansReceived: number;
  };
  soak?: {
    minutes: number;
    requests: number;
    samples: Array<{ tS: number; heapUsedMb: number | null; rssMb: number }>;
    heapGrowthPct: number | null;
    rssGrowthPct: number | null;
    chart: string;
  };
  targets: Array<{ name: string; target: string; met: boolean }>;
}

function runBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.js', '--quick', '--no-build', '--out', outDir], {
      cwd: ROOT,
      // The suite's PostgreSQL server; the bench creates its own two databases on it and drops them.
      env: { ...process.env, DATABASE_URL: adminUrl(), BULWARK_DIST_DIR: DIST_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench --quick', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bulwark-bench-results-'));
  let result: BenchResult;
  let output = '';
  const committed = join(ROOT, 'bench', 'results', 'latest.json');
  const committedBefore = existsSync(committed) ? readFileSync(committed, 'utf8') : undefined;

  beforeAll(async () => {
    const run = await runBench(outDir);
    output = run.output;
    if (run.code !== 0) throw new Error(`bench exited with ${run.code}:\n${output}`);
    result = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as BenchResult;
  }, 600_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('writes <date>.json, latest.json and the Markdown table into the --out folder only', () => {
    const files = readdirSync(outDir);
    expect(files).toEqual(expect.arrayContaining(['latest.json', 'latest.md', 'latest-soak.svg']));
    expect(files.filter((f) => /^\d{4}-\d{2}-\d{2}T.*\.json$/.test(f))).toHaveLength(1);
    expect(result.quick).toBe(true);
    expect(readFileSync(join(outDir, 'latest.md'), 'utf8')).toContain('| scenario | server | req/s |');
    expect(output).toContain('Bulwark ÷ baseline');
    expect(existsSync(committed) ? readFileSync(committed, 'utf8') : undefined).toBe(committedBefore);
  });

  it('records the machine, the versions and the ratios', () => {
    expect(result.machine.cpus).toBeGreaterThan(0);
    expect(result.machine.node).toBe(process.versions.node);
    for (const name of ['nestCore', 'fastify', 'pg', 'typeorm', 'autocannon', 'postgres'])
      expect(result.versions[name]).toEqual(expect.any(String));
    expect(Object.keys(result.ratios).sort()).toEqual(['createOrder', 'mixed', 'orderRead', 'productRead']);
    for (const value of Object.values(result.ratios)) expect(value).toBeGreaterThan(0);
    expect(result.targets.length).toBeGreaterThan(0);
  });

  it('the baseline issues exactly the statements Bulwark issues, route by route', () => {
    expect(Object.keys(result.statementCheck).sort()).toEqual(['createOrder', 'orderRead', 'productRead']);
    for (const [route, check] of Object.entries(result.statementCheck)) {
      expect({ route, statements: check.baseline.statements, status: check.baseline.status }).toEqual({
        route,
        statements: check.bulwark.statements,
        status: check.bulwark.status,
      });
      expect(check.same).toBe(true);
    }
    expect(result.statementCheck.productRead.bulwark.status).toBe(200);
    expect(result.statementCheck.createOrder.bulwark.status).toBe(201);
    // One transaction with the idempotency record, the audit row and the outbox event.
    const create = result.statementCheck.createOrder.bulwark.statements;
    expect(create).toEqual(expect.arrayContaining(['START TRANSACTION', 'COMMIT']));
    expect(create.some((s) => s.startsWith('INSERT INTO audit_log'))).toBe(true);
    expect(create.some((s) => s.startsWith('INSERT INTO idempotency_keys'))).toBe(true);
  });

  it('both servers answered real requests with 2xx in every scenario, no read failed, and each run has its CPU split by thread', () => {
    for (const name of AB_SCENARIOS) {
      const scenario = result.scenarios[name];
      expect(scenario).toBeDefined();
      for (const server of [scenario.bulwark, scenario.baseline]) {
        expect(server).not.toBeNull();
        expect(server?.requests).toBeGreaterThan(0);
        expect(server?.rps).toBeGreaterThan(0);
        expect(server?.latencyMs.p95).toEqual(expect.any(Number));
        expect(server?.peakRssMb).toBeGreaterThan(0);
        // Read from /proc/<pid>/stat before and after each run: a server that answered used CPU.
        expect(server?.cpuUsPerRequest).toBeGreaterThan(0);
        expectSplitOfTotal(name, server);
      }
      expect(scenario.runs.bulwark).toHaveLength(1);
      expect(scenario.runs.baseline).toHaveLength(1);
      for (const run of [...scenario.runs.bulwark, ...scenario.runs.baseline])
        expect(Object.keys((run as { cpuSplitUs: object }).cpuSplitUs).sort()).toEqual(SPLIT_PARTS);
    }
    // V8's worker threads are told apart by name: Bulwark's background garbage collection shows up
    // there in at least one scenario (one scenario alone may be too short to reach a clock tick).
    expect(
      AB_SCENARIOS.some((name) => (result.scenarios[name].bulwark.cpuSplitUsPerRequest?.v8Workers ?? 0) > 0),
    ).toBe(true);
    for (const name of ['productRead', 'orderRead']) {
      for (const server of [result.scenarios[name].bulwark, result.scenarios[name].baseline]) {
        expect({ name, non2xx: server?.non2xx, errors: server?.errors }).toEqual({
          name,
          non2xx: 0,
          errors: 0,
        });
      }
    }
    expect(result.scenarios.login.bulwark.requests).toBeGreaterThan(0);
    expect(result.scenarios.login.bulwark.non2xx).toBe(0);
  });

  it('records both servers memory at ready and at peak, and the CPU ratios', () => {
    for (const mbValue of [
      result.bulwarkRssAtReadyMb,
      result.baselineRssAtReadyMb,
      result.bulwarkPeakRssMb,
      result.baselinePeakRssMb,
    ])
      expect(mbValue).toBeGreaterThan(0);
    expect(Object.keys(result.cpuRatios).sort()).toEqual([...AB_SCENARIOS].sort());
  });

  it('measures the cost of tracing: the same mixed traffic with tracing off and on, spans exported', () => {
    const t = result.tracing;
    expect(t).toBeDefined();
    for (const side of [t?.off, t?.on]) {
      expect(side?.requests).toBeGreaterThan(0);
      expect(side?.cpuUsPerRequest).toBeGreaterThan(0);
    }
    expect(t?.spansReceived).toBeGreaterThan(0);
    expect(t?.cpuRatio).toEqual(expect.any(Number));
  });

  it('runs the soak: samples heap used and RSS, judges growth, draws the chart beside the JSON', () => {
    const soak = result.soak;
    expect(soak).toBeDefined();
    expect(soak?.requests).toBeGreaterThan(0);
    expect(soak?.samples.length).toBeGreaterThan(3);
    for (const sample of soak?.samples ?? []) expect(sample.rssMb).toBeGreaterThan(0);
    expect(soak?.samples.some((s) => (s.heapUsedMb ?? 0) > 0)).toBe(true);
    expect(soak?.heapGrowthPct).toEqual(expect.any(Number));
    expect(soak?.rssGrowthPct).toEqual(expect.any(Number));
    const svg = readFileSync(join(outDir, soak?.chart ?? 'missing'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
  });

  it('measures cold start and the /metrics scrape after 1,000 distinct paths', () => {
    expect(result.coldStartMs.runs.length).toBeGreaterThan(0);
    expect(result.coldStartMs.median).toBeGreaterThan(0);
    expect(result.metricsScrape.distinctPaths).toBe(1000);
    expect(result.metricsScrape.medianMs).toBeGreaterThan(0);
    expect(result.metricsScrape.series).toBeGreaterThan(0);
  });

  it('leaves no bench database behind on the server', async () => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'",
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
