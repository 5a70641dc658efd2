import { writeFile } from 'node:fs/promises';
import { argoCommand } from './platforms/argo';
import { initNginxDir } from './platforms/nginx-dir';
import {
  CommandRunner,
  createPlatform,
  InconsistentStateError,
  LockedError,
  Platform,
  ProcessRunner,
} from './platforms';
import { createProvider } from './providers';
import { parseCli, CliOptions, USAGE } from './options';
import { Reporter, StreamReporter } from './reporter';
import { RecordingReporter } from './report/recorder';
import { runRollout } from './runner';

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

function platformOf(o: CliOptions, runner: CommandRunner): Platform {
  return createPlatform(o.platform, {
    runner,
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

async function withLock<T>(platform: Platform, owner: string, body: () => Promise<T>): Promise<T> {
  const lock = await platform.acquireLock(owner);
  try {
    return await body();
  } finally {
    await lock.release();
  }
}

async function execute(
  o: CliOptions,
  platform: Platform,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<number> {
  switch (o.command) {
    case 'status': {
      const s = await platform.readState();
      reporter.emit({ event: 'status', platform: platform.type, ...s });
      return EXIT.ok;
    }
    case 'start':
      return withLock(platform, `start --tag ${o.tag}`, async () => {
        const before = await platform.readState();
        await platform.start(o.tag!);
        reporter.emit({ event: 'started', tag: o.tag!, colour: before.previewColor });
        return EXIT.ok;
      });
    case 'promote':
      return withLock(platform, 'promote', async () => {
        const before = await platform.readState();
        await platform.promote();
        reporter.emit({
          event: 'promoted',
          activeColor: before.previewColor,
          version: before.versions[before.previewColor],
        });
        return EXIT.ok;
      });
    case 'abort': {
      // No lock: abort is the emergency exit, also while a `run` holds the lock (that run notices
      // the weight it did not set and stops).
      await platform.abort();
      const after = await platform.readState();
      reporter.emit({ event: 'aborted', activeColor: after.activeColor });
      return EXIT.rolledBack;
    }
    case 'run':
      return withLock(platform, 'run', async () => {
        const provider = createProvider(o.provider, { address: o.prometheusUrl });
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
          },
        });
        const outcome = await runRollout(
          { platform, provider, reporter, signal },
          {
            steps: o.steps,
            intervalMs: o.intervalMs,
            window: o.window,
            extraMatchers: o.matchers,
            thresholds: {
              maxErrorRate: o.maxErrorRate,
              maxP95Seconds: o.maxP95,
              minRequests: o.minRequests,
              errorRateMarginOverStable: o.errorRateMargin,
              p95MarginOverStable: o.p95Margin,
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
  let code: number;
  try {
    // Argo Rollouts (docs/engines.md) has no colours: its own commands, not a Platform.
    if (o.platform === 'argo') return await argoCommand(o, io.runner ?? new ProcessRunner(), out, io.signal);
    code = await execute(o, platformOf(o, io.runner ?? new ProcessRunner()), reporter, io.signal);
  } catch (e) {
    const refused = e instanceof LockedError || e instanceof InconsistentStateError;
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
