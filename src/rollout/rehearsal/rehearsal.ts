import { ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ACTIVE_COLOR_FILE } from '../platforms/nginx-config';
import { formatText, RolloutEvent } from '../reporter';
import { ArgoReading, readArgoQueries, rehearsalArgoQueries } from './argo-readings';
import { LoadStats, SteadyLoad } from './load';
import { startThrowawayPostgres, ThrowawayDatabase } from './postgres';
import { REHEARSAL_RUN_ARGS, Scenario } from './scenarios';
import { CANARY_VERSION, LOAD_RATE, Stage } from './stage';

// One rehearsal: sets the whole stage up, runs the real built tool (dist/rollout/cli.js, nginx
// platform) against it as a separate process, tears everything down, and returns the tool's own
// exit code (0 promoted, 2 rolled back) with a report of what clients saw.

export interface RehearsalOptions {
  scenario: Scenario;
  /** PostgreSQL for both colours; none: a throwaway embedded one inside the stage's directory. */
  databaseUrl?: string;
  /** The built service (default: dist/main.js). */
  appEntry?: string;
  /** The tool's decisions as JSON lines instead of text. */
  json: boolean;
  /** Where to write the report (JSON). */
  reportFile?: string;
  /** Where the tool writes its report page of the run (`run --report FILE`); an absolute path. */
  htmlReportFile?: string;
  /** Keep the stage's directory (logs, nginx and prometheus config) afterwards. */
  keep: boolean;
  /** The environment the stage's programs and the tool start from. */
  env: NodeJS.ProcessEnv;
  /** The rehearsal's own lines ("what it does now"). */
  say: (line: string) => void;
  /** The tool's output, line by line. */
  show: (line: string) => void;
}

export interface RehearsalReport {
  scenario: Scenario['name'];
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
  /** Engine argo's AnalysisTemplate queries read after each of the tool's rounds (argo-readings.ts). */
  argoReadings: ArgoReading[];
  /** What the nginx platform's active-colour file (the instances' ACTIVE_COLOR_FILE) says at the end. */
  activeColorFile: string;
  /** The crash scenario: when the canary was killed, when its weight was 0 again, the rounds between. */
  crash?: {
    killedAt: string;
    weightZeroAt: string | null;
    secondsToWeightZero: number | null;
    rounds: number;
  };
  durationMs: number;
  workDir: string;
}

/** The built tool, next to this file's own output (dist/rollout/rehearsal → dist/rollout/cli.js). */
const TOOL = resolve(__dirname, '../cli.js');

const describeLoad = (l: LoadStats): string =>
  `${l.total} requests, ${l.failed} failed (${(l.failedShare * 100).toFixed(2)} %), ${l.networkErrors} without answer; ` +
  `by colour: ${Object.entries(l.byColour)
    .map(([c, s]) => `${c} ${s.total} (${s.failed} failed)`)
    .join(', ')}`;

export class Rehearsal {
  private stage?: Stage;
  private db?: ThrowawayDatabase;
  private runningTool?: ChildProcess;
  private tornDown?: Promise<void>;

  constructor(private readonly o: RehearsalOptions) {}

  /** Runs the tool as its own process; every line it prints goes to `onLine`. */
  private tool(args: string[], onLine: (line: string) => void): Promise<number> {
    const child = spawn(process.execPath, [TOOL, ...args], {
      env: this.o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    this.runningTool = child;
    return new Promise((done) =>
      child.on('exit', (code) => {
        this.runningTool = undefined;
        done(code ?? 1);
      }),
    );
  }

  /**
   * Stops the tool (if running), the stage's processes and the throwaway database. Safe to call at
   * any time and more than once (a signal during the run, then the run's own cleanup).
   */
  teardown(): Promise<void> {
    this.tornDown ??= (async () => {
      this.runningTool?.kill('SIGTERM');
      await this.stage?.down();
      await this.db?.stop();
    })();
    return this.tornDown;
  }

  async run(): Promise<number> {
    const { scenario, say } = this.o;
    const started = Date.now();
    const workDir = await mkdtemp(join(tmpdir(), `bulwark-rehearsal-${scenario.name}-`));
    // As root, the embedded PostgreSQL runs as `postgres` and nginx workers as `nobody`: both must reach it.
    await chmod(workDir, 0o755);
    say(`scenario ${scenario.name}: ${scenario.description}`);
    try {
      let databaseUrl = this.o.databaseUrl;
      if (!databaseUrl) {
        this.db = await startThrowawayPostgres(join(workDir, 'postgres'), say);
        databaseUrl = this.db.url;
        say('embedded PostgreSQL started (no DATABASE_URL given)');
      }
      const stage = new Stage({
        workDir,
        databaseUrl,
        scenario,
        env: this.o.env,
        appEntry: this.o.appEntry,
        log: say,
      });
      this.stage = stage;
      return await this.rehearse(stage, workDir, started);
    } finally {
      await this.teardown();
      if (!this.o.keep) await rm(workDir, { recursive: true, force: true });
      else say(`kept ${workDir}`);
    }
  }

  private async rehearse(stage: Stage, workDir: string, started: number): Promise<number> {
    const { scenario, say, show } = this.o;
    const common = ['--platform', 'nginx', '--nginx-dir', stage.nginxDir];
    const json = this.o.json ? ['--json'] : [];
    const decisions: RolloutEvent[] = [];

    await stage.up();
    await stage.startLoad();
    say(`steady load through nginx: ${LOAD_RATE} requests/s of GET /v1/users/me`);
    await stage.waitForMetrics();
    say('prometheus sees both colours and the stable traffic');
    await stage.assertHealthyBaseline();
    const runStart = stage.load!.stats();

    say(`$ bulwark-rollout start --tag ${CANARY_VERSION}`);
    const startExit = await this.tool(['start', '--tag', CANARY_VERSION, ...common, ...json], show);
    if (startExit !== 0) throw new Error(`start exited ${startExit}`);
    say('$ bulwark-rollout status');
    await this.tool(['status', ...common, ...json], show);

    const runArgs = [
      'run',
      ...common,
      '--prometheus-url',
      stage.prometheusUrl,
      ...REHEARSAL_RUN_ARGS,
      '--json',
      ...(this.o.htmlReportFile ? ['--report', this.o.htmlReportFile] : []),
    ];
    say(
      `$ bulwark-rollout run ${[...REHEARSAL_RUN_ARGS, ...(this.o.htmlReportFile ? ['--report', this.o.htmlReportFile] : [])].join(' ')}`,
    );
    let prometheusStopped = false;
    const flag = (name: string): string => REHEARSAL_RUN_ARGS[REHEARSAL_RUN_ARGS.indexOf(name) + 1];
    const argoQueries = rehearsalArgoQueries({
      version: CANARY_VERSION,
      window: flag('--window'),
      minRequests: flag('--min-requests'),
    });
    const argoReadings: Promise<ArgoReading>[] = [];
    let roundChecks: Record<string, string> = {};
    let killed: Promise<number> | undefined;
    let killedAt: number | undefined;
    let weightZeroAt: number | undefined;
    let roundsAfterKill = 0;
    const exitCode = await this.tool(runArgs, (line) => {
      let e: (RolloutEvent & { time?: string }) | undefined;
      try {
        e = JSON.parse(line) as RolloutEvent & { time?: string };
      } catch {
        show(line);
        return;
      }
      decisions.push(e);
      show(this.o.json ? line : `${(e.time ?? '').slice(11, 19)} ${formatText(e)}`);
      if (e.event === 'check') roundChecks[e.check] = e.status;
      if (e.event === 'decision' && !prometheusStopped) {
        const round = {
          weight: e.weight,
          toolStatus: e.status,
          toolDecision: e.decision,
          toolChecks: roundChecks,
        };
        roundChecks = {};
        argoReadings.push(
          readArgoQueries(stage.prometheusUrl, argoQueries).then((results) => ({
            ...round,
            queries: argoQueries,
            results,
          })),
        );
      }
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
      if (killedAt !== undefined && e.event === 'decision') roundsAfterKill += 1;
      if (e.event === 'rolled-back' && weightZeroAt === undefined)
        weightZeroAt = e.time ? Date.parse(e.time) : Date.now();
      // The crash scenario: the canary dies after the first round of the first step.
      if (scenario.killCanaryDuringFirstStep && !killed && e.event === 'decision' && e.step === 1) {
        say('killing the canary (green) with SIGKILL now (the crash scenario)');
        killed = stage.killCanary().then((at) => (killedAt = at));
      }
    });
    if (killed) await killed;
    let crash: RehearsalReport['crash'];
    if (killedAt !== undefined) {
      const seconds = weightZeroAt === undefined ? null : (weightZeroAt - killedAt) / 1000;
      crash = {
        killedAt: new Date(killedAt).toISOString(),
        weightZeroAt: weightZeroAt === undefined ? null : new Date(weightZeroAt).toISOString(),
        secondsToWeightZero: seconds,
        rounds: roundsAfterKill,
      };
      say(
        seconds === null
          ? `the canary was killed at ${crash.killedAt.slice(11, 23)} and its weight never went back to 0`
          : `the canary was killed at ${crash.killedAt.slice(11, 23)}; weight 0 at ${crash.weightZeroAt!.slice(11, 23)}: ` +
              `${seconds.toFixed(1)} s from the kill to weight 0, ${roundsAfterKill} analysis round${roundsAfterKill === 1 ? '' : 's'}`,
      );
    }
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
    await this.tool(['status', ...common, ...json], show);
    say(
      `nginx weights now: blue=${routing.weights.blue} green=${routing.weights.green} (active ${routing.activeColor})`,
    );
    say(`client view over the whole run: ${describeLoad(load)}`);
    say(`client view from 1 s after the tool exited to the end: ${describeLoad(tail)}`);
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
      argoReadings: await Promise.all(argoReadings),
      activeColorFile: (await readFile(join(stage.nginxDir, ACTIVE_COLOR_FILE), 'utf8')).trim(),
      crash,
      durationMs: Date.now() - started,
      workDir,
    };
    if (this.o.reportFile) await writeFile(this.o.reportFile, JSON.stringify(report, null, 2));
    say(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${exitCode === scenario.expectedExit ? 'as expected' : `EXPECTED exit ${scenario.expectedExit}`}`,
    );
    return exitCode;
  }
}
