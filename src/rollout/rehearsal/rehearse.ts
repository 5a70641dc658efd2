#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startEmbeddedPostgres } from '../../database/embedded';
import { formatText, RolloutEvent } from '../reporter';
import { REHEARSAL_RUN_ARGS, ScenarioName, SCENARIOS } from './scenarios';
import { LoadStats, SteadyLoad } from './load';
import { CANARY_VERSION, LOAD_RATE, Stage } from './stage';

// `npm run rehearse -- --scenario faulty|healthy|slow|blind`: sets the whole stage up, runs the real
// tool (dist/rollout/cli.js, nginx platform) against it, tears everything down and exits with the
// tool's own exit code (0 promoted, 2 rolled back; 1 when the stage itself failed).

const USAGE = `usage: rehearse --scenario faulty|healthy|slow|blind [--database-url URL] [--json] [--report FILE] [--keep] [--app dist/main.js]
  --database-url   PostgreSQL for both colours (default: $DATABASE_URL, else an embedded PostgreSQL)
  --json           print the tool's decisions as JSON lines
  --report FILE    write a JSON summary (exit code, nginx weights, client failures, where traffic went)
  --keep           keep the stage's directory (logs, nginx and prometheus config) afterwards`;

export interface RehearsalReport {
  scenario: ScenarioName;
  exitCode: number;
  expectedExitCode: number;
  startExitCode: number;
  firstStepWeight: number;
  canaryFaultErrorRate: number;
  routing: Awaited<ReturnType<Stage['routing']>>;
  /** Client view over the whole run: from just before `start` (stage warmed up) to the end of the load. */
  load: LoadStats;
  /** Client view from 1 s after the tool exited to the end (at least 3 s): where traffic goes now. */
  tail: LoadStats;
  after: Awaited<ReturnType<Stage['probe']>>;
  decisions: RolloutEvent[];
  durationMs: number;
  workDir: string;
}

let runningTool: ReturnType<typeof spawn> | undefined;

function tool(args: string[], onLine: (line: string) => void): Promise<number> {
  const child = spawn(process.execPath, [resolve(__dirname, '../cli.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  runningTool = child;
  return new Promise((done) =>
    child.on('exit', (code) => {
      runningTool = undefined;
      done(code ?? 1);
    }),
  );
}

async function rehearse(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      keep: { type: 'boolean' },
      app: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const scenario = SCENARIOS[values.scenario as ScenarioName];
  if (values.help || !scenario) {
    process.stderr.write(`${values.help ? '' : `unknown or missing --scenario\n`}${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const started = Date.now();
  const say = (line: string): void => {
    process.stdout.write(values.json ? `${JSON.stringify({ rehearsal: line })}\n` : `rehearsal: ${line}\n`);
  };
  const workDir = await mkdtemp(join(tmpdir(), `bulwark-rehearsal-${scenario.name}-`));
  // As root, the embedded PostgreSQL runs as `postgres` and nginx workers as `nobody`: both must reach it.
  await chmod(workDir, 0o755);
  say(`scenario ${scenario.name}: ${scenario.description}`);

  let stopDb: (() => Promise<void>) | undefined;
  let databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    const db = await startEmbeddedPostgres(
      join(workDir, 'postgres'),
      randomBytes(12).toString('hex'),
      pino({ level: 'warn' }),
      'bulwark',
    );
    databaseUrl = db.url;
    stopDb = db.stop;
    say('embedded PostgreSQL started (no DATABASE_URL given)');
  }

  const stage = new Stage({
    workDir,
    databaseUrl,
    scenario,
    appEntry: values.app ? resolve(values.app) : undefined,
    log: say,
  });
  // Ctrl-C or a test timeout: tear the stage down rather than leave nginx and Prometheus behind.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      say(`${sig}: tearing the stage down`);
      runningTool?.kill('SIGTERM');
      void stage
        .down()
        .then(() => stopDb?.())
        .finally(() => process.exit(1));
    });
  }
  const common = ['--platform', 'nginx', '--nginx-dir', stage.nginxDir];
  const decisions: RolloutEvent[] = [];
  try {
    await stage.up();
    await stage.startLoad();
    say(`steady load through nginx: ${LOAD_RATE} requests/s of GET /v1/users/me`);
    await stage.waitForMetrics();
    say('prometheus sees both colours and the stable traffic');
    await stage.assertHealthyBaseline();
    const runStart = stage.load!.stats();

    const show = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    say(`$ bulwark-rollout start --tag ${CANARY_VERSION}`);
    const startExit = await tool(
      ['start', '--tag', CANARY_VERSION, ...common, ...(values.json ? ['--json'] : [])],
      show,
    );
    if (startExit !== 0) throw new Error(`start exited ${startExit}`);
    say('$ bulwark-rollout status');
    await tool(['status', ...common, ...(values.json ? ['--json'] : [])], show);

    const runArgs = [
      'run',
      ...common,
      '--prometheus-url',
      stage.prometheusUrl,
      ...REHEARSAL_RUN_ARGS,
      '--json',
    ];
    say(`$ bulwark-rollout run ${REHEARSAL_RUN_ARGS.join(' ')}`);
    let prometheusStopped = false;
    const exitCode = await tool(runArgs, (line) => {
      let e: (RolloutEvent & { time?: string }) | undefined;
      try {
        e = JSON.parse(line) as RolloutEvent & { time?: string };
      } catch {
        show(line);
        return;
      }
      decisions.push(e);
      show(values.json ? line : `${(e.time ?? '').slice(11, 19)} ${formatText(e)}`);
      if (
        scenario.stopPrometheusAfterFirstStep &&
        !prometheusStopped &&
        e.event === 'decision' &&
        e.decision === 'advance'
      ) {
        prometheusStopped = true;
        say('stopping prometheus now (the blind scenario)');
        void stage.stopPrometheus();
      }
    });
    say(
      `the tool exited ${exitCode} (${exitCode === 0 ? 'promoted' : exitCode === 2 ? 'rolled back' : 'error'})`,
    );

    // Keep the load on a little: the tail shows where traffic goes once the tool is done.
    const exitedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const tailStart = stage.load!.stats();
    const routing = await stage.routing();
    const after = await stage.probe(40);
    await new Promise((r) => setTimeout(r, Math.max(0, exitedAt + 4000 - Date.now())));
    const end = (await stage.stopLoad())!;
    const load = SteadyLoad.since(runStart, end);
    const tail = SteadyLoad.since(tailStart, end);
    say('$ bulwark-rollout status');
    await tool(['status', ...common, ...(values.json ? ['--json'] : [])], show);
    say(
      `nginx weights now: blue=${routing.weights.blue} green=${routing.weights.green} (active ${routing.activeColor})`,
    );
    const describe = (l: LoadStats): string =>
      `${l.total} requests, ${l.failed} failed (${(l.failedShare * 100).toFixed(2)} %), ${l.networkErrors} without answer; ` +
      `by colour: ${Object.entries(l.byColour)
        .map(([c, s]) => `${c} ${s.total} (${s.failed} failed)`)
        .join(', ')}`;
    say(`client view over the whole run: ${describe(load)}`);
    say(`client view from 1 s after the tool exited to the end: ${describe(tail)}`);
    say(
      `40 requests through nginx afterwards reached: ${Object.entries(after.colours)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}; versions ${Object.entries(after.versions)
        .map(([v, n]) => `${v} ${n}`)
        .join(', ')}`,
    );

    const report: RehearsalReport = {
      scenario: scenario.name,
      exitCode,
      expectedExitCode: scenario.expectedExit,
      startExitCode: startExit,
      firstStepWeight: Number(REHEARSAL_RUN_ARGS[REHEARSAL_RUN_ARGS.indexOf('--steps') + 1].split(',')[0]),
      canaryFaultErrorRate: Number(scenario.canaryEnv.FAULT_ERROR_RATE ?? 0),
      routing,
      load,
      tail,
      after,
      decisions,
      durationMs: Date.now() - started,
      workDir,
    };
    if (values.report) await writeFile(values.report, JSON.stringify(report, null, 2));
    say(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${exitCode === scenario.expectedExit ? 'as expected' : `EXPECTED exit ${scenario.expectedExit}`}`,
    );
    return exitCode;
  } finally {
    await stage.down();
    await stopDb?.();
    if (!values.keep) await rm(workDir, { recursive: true, force: true });
    else say(`kept ${workDir}`);
  }
}

rehearse().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`rehearsal failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
