import { writeFile } from 'node:fs/promises';
import { argoCommand } from './platforms/argo';
import { initNginxDir } from './platforms/nginx-dir';
import { contextNamespace, hasKubernetesExtras } from './platforms/kubernetes';
import {
  CommandRunner,
  createPlatform,
  InconsistentStateError,
  LockedError,
  Lock,
  Platform,
  ProcessRunner,
  SizingError,
} from './platforms';
import { createProvider } from './providers';
import { parseCli, CliOptions, USAGE } from './options';
import { Reporter, StreamReporter } from './reporter';
import { RecordingReporter } from './report/recorder';
import {
  DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS,
  DEFAULT_SCALE_DOWN_DELAY_SECONDS,
  runRollout,
  scheduleScaleDown,
} from './runner';

// The commands. Each returns the process exit code: 0 done / promoted, 2 rolled back, 1 error.

export const EXIT = { ok: 0, error: 1, rolledBack: 2 } as const;

/** Everything the commands take from the outside world; cli.ts wires it to the process. */
export interface MainIo {
  /** One line of the tool's output (stdout for the CLI). */
  out: (line: string) => void;
  /** One line about a usage error (stderr for the CLI). */
  err: (line: string) => void;
  /** How helm, kubectl and nginx are run (default: as child processes). */
  runner?: CommandRunner;
  /** Aborting it (SIGINT/SIGTERM) rolls a running canary back. */
  signal?: AbortSignal;
  /** Writes the `--report` page (default: the file system). */
  writeReport?: (file: string, html: string) => Promise<void>;
}

function platformOf(o: CliOptions, runner: CommandRunner, reporter: Reporter): Platform {
  return createPlatform(o.platform, {
    runner,
    log: (message) => reporter.emit({ event: 'note', message }),
    nginxDir: o.nginxDir,
    nginxBin: o.nginxBin,
    release: o.release,
    namespace: o.namespace,
    chart: o.chart,
    chartVersion: o.chartVersion,
    fullname: o.fullname,
    kubeContext: o.kubeContext,
    helm: o.helm,
    kubectl: o.kubectl,
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

async function withLock<T>(platform: Platform, owner: string, body: (lock: Lock) => Promise<T>): Promise<T> {
  const lock = await platform.acquireLock(owner);
  try {
    return await body(lock);
  } finally {
    await lock.release();
  }
}

/**
 * The label matchers of every query. On Kubernetes the release's namespace is one of them: staging
 * and production scraped by one Prometheus must not be mixed (the `namespace` target label that
 * Prometheus' Kubernetes service discovery and the Prometheus Operator put on every series).
 */
export function queryMatchers(o: Pick<CliOptions, 'platform' | 'namespace' | 'matchers'>): string {
  if (o.platform !== 'kubernetes') return o.matchers;
  const ns = `namespace="${(o.namespace ?? 'default').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return o.matchers ? `${o.matchers},${ns}` : ns;
}

/**
 * Kubernetes: scale-downs that came due while no command ran (the previous colour, 10 minutes after
 * a promotion) are done by whichever command comes next — status, start, run or promote.
 */
async function honourScaleDowns(platform: Platform, reporter: Reporter): Promise<void> {
  if (!hasKubernetesExtras(platform)) return;
  for (const message of await platform.honourScaleDowns()) reporter.emit({ event: 'note', message });
}

/** --scale-down-delay / --abort-scale-down-delay, else the release's rollout.* values (Kubernetes). */
export async function scaleDownDelays(
  o: CliOptions,
  platform: Platform,
): Promise<{ promotion: number; abort: number }> {
  const base = hasKubernetesExtras(platform)
    ? await platform.scaleDownDelays()
    : { promotion: DEFAULT_SCALE_DOWN_DELAY_SECONDS, abort: DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS };
  return {
    promotion: o.scaleDownDelaySeconds ?? base.promotion,
    abort: o.abortScaleDownDelaySeconds ?? base.abort,
  };
}

async function execute(
  o: CliOptions,
  platform: Platform,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<number> {
  const note = (message: string): void => reporter.emit({ event: 'note', message });
  if (o.platform === 'kubernetes' && o.namespaceFrom) note(`namespace ${o.namespace} (${o.namespaceFrom})`);
  switch (o.command) {
    case 'status': {
      await honourScaleDowns(platform, reporter);
      const s = await platform.readState();
      reporter.emit({ event: 'status', platform: platform.type, ...s });
      if (hasKubernetesExtras(platform)) for (const line of await platform.describe()) note(line);
      return EXIT.ok;
    }
    case 'start':
      return withLock(platform, `start --tag ${o.tag}`, async () => {
        await honourScaleDowns(platform, reporter);
        const before = await platform.readState();
        await platform.start(o.tag!);
        reporter.emit({ event: 'started', tag: o.tag!, colour: before.previewColor });
        return EXIT.ok;
      });
    case 'promote':
      return withLock(platform, 'promote', async () => {
        await honourScaleDowns(platform, reporter);
        const before = await platform.readState();
        const k8s = hasKubernetesExtras(platform);
        // By hand as in a run: the preview is sized to the active colour before it takes everything.
        // Promoting again before the previous colour is scaled down finds it sized: an instant undo.
        if (k8s) note(await platform.sizePreview());
        await platform.promote();
        reporter.emit({
          event: 'promoted',
          activeColor: before.previewColor,
          version: before.versions[before.previewColor],
        });
        // Until then, `promote` again is an instant undo.
        await scheduleScaleDown(
          platform,
          reporter,
          before.activeColor,
          (await scaleDownDelays(o, platform)).promotion,
        );
        return EXIT.ok;
      });
    case 'abort': {
      // No lock: abort is the emergency exit, also while a `run` holds the lock (that run notices
      // the weight it did not set and stops).
      // An inconsistent state is aborted all the same (abort repairs it where it can).
      const live = await platform.readState().then(
        (s) => s.weight > 0,
        () => true,
      );
      await platform.abort();
      const after = await platform.readState();
      reporter.emit({ event: 'aborted', activeColor: after.activeColor });
      // The rejected colour stops after the abort delay (Kubernetes: rollout.abortScaleDownDelaySeconds).
      // With no canary live there was nothing to reject: a previous colour waiting after a promotion
      // keeps its own, longer delay (the instant undo).
      if (live)
        await scheduleScaleDown(
          platform,
          reporter,
          after.previewColor,
          (await scaleDownDelays(o, platform)).abort,
        );
      return EXIT.rolledBack;
    }
    case 'run':
      return withLock(platform, 'run', async (lock) => {
        await honourScaleDowns(platform, reporter);
        const provider = createProvider(o.provider, { address: o.prometheusUrl, ...o.prometheus });
        const delays = await scaleDownDelays(o, platform);
        const state = await platform.readState();
        reporter.emit({
          event: 'run',
          platform: platform.type,
          ...state,
          steps: o.steps,
          interval: `${o.intervalMs / 1000}s`,
          window: o.window,
          thresholds: {
            'max-error-rate': o.maxErrorRate,
            'max-p95': o.maxP95,
            'min-requests': o.minRequests,
            'failure-limit': o.failureLimit,
            'error-rate-margin': o.errorRateMargin,
            'p95-margin': o.p95Margin,
            'p95-slack': o.p95Margin === undefined ? undefined : o.p95SlackSeconds,
            'scale-down-delay': delays.promotion,
            'abort-scale-down-delay': delays.abort,
          },
        });
        const outcome = await runRollout(
          { platform, provider, reporter, signal, lock },
          {
            steps: o.steps,
            intervalMs: o.intervalMs,
            window: o.window,
            extraMatchers: queryMatchers(o),
            scaleDownDelaySeconds: delays.promotion,
            abortScaleDownDelaySeconds: delays.abort,
            thresholds: {
              maxErrorRate: o.maxErrorRate,
              maxP95Seconds: o.maxP95,
              minRequests: o.minRequests,
              errorRateMarginOverStable: o.errorRateMargin,
              p95MarginOverStable: o.p95Margin,
              p95SlackSeconds: o.p95SlackSeconds,
            },
            policy: {
              failureLimit: o.failureLimit,
              providerErrorLimit: o.providerErrorLimit,
              maxInconclusive: o.maxInconclusive,
            },
          },
        );
        return outcome === 'promoted' ? EXIT.ok : EXIT.rolledBack;
      });
    case 'init': {
      if (o.platform !== 'nginx' || !o.nginxDir)
        throw new Error('init is for the nginx platform: --platform nginx --nginx-dir DIR');
      const { listen, blue, green } = o.init;
      if (!listen || !blue || !green) throw new Error('init needs --listen H:P --blue H:P --green H:P');
      await initNginxDir(o.nginxDir, {
        listen,
        blue,
        green,
        versions: { blue: o.init.blueVersion ?? null, green: o.init.greenVersion ?? null },
      });
      reporter.emit({ event: 'status', platform: 'nginx', ...(await platform.readState()) });
      return EXIT.ok;
    }
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: MainIo): Promise<number> {
  const { out, err } = io;
  let o: CliOptions | 'help';
  try {
    o = parseCli(argv, env);
  } catch (e) {
    err(`error: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.error;
  }
  if (o === 'help') {
    out(USAGE);
    return EXIT.ok;
  }
  const stream = new StreamReporter(o.json, out);
  // `run --report FILE`: the same events, kept and drawn as one page once the run has ended.
  const recording = o.report ? new RecordingReporter(stream) : undefined;
  const reporter: Reporter = recording ?? stream;
  const runner = io.runner ?? new ProcessRunner();
  let code: number;
  try {
    if ((o.platform === 'kubernetes' || o.platform === 'argo') && o.namespace === undefined) {
      // Resolved here, once, so that everything after (the platform, the queries) uses the same one.
      const found = await contextNamespace(runner, o.kubectl, o.kubeContext);
      o = { ...o, namespace: found.namespace, namespaceFrom: found.from };
    }
    // Argo Rollouts (docs/engines.md) has no colours: its own commands, not a Platform.
    if (o.platform === 'argo') return await argoCommand(o, runner, out, io.signal);
    code = await execute(o, platformOf(o, runner, reporter), reporter, io.signal);
  } catch (e) {
    const refused =
      e instanceof LockedError || e instanceof InconsistentStateError || e instanceof SizingError;
    reporter.emit({ event: 'error', message: `${refused ? 'refused: ' : ''}${(e as Error).message}` });
    code = EXIT.error;
  }
  if (recording && o.report) {
    try {
      await (io.writeReport ?? ((file, html) => writeFile(file, html, 'utf8')))(o.report, recording.html());
    } catch (e) {
      stream.emit({
        event: 'error',
        message: `could not write the report ${o.report}: ${(e as Error).message}`,
      });
      if (code === EXIT.ok) code = EXIT.error;
    }
  }
  return code;
}
