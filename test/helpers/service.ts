import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded';

/**
 * The built service (`dist/main.js`, or `$BULWARK_DIST_DIR/main.js`) started as a real process, for
 * system specs. Output is kept for assertions and printed when a start fails.
 */
export interface ServiceProcess {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | string>;
}

export const DIST_DIR = process.env.BULWARK_DIST_DIR ?? join(__dirname, '..', '..', 'dist');

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Wait for this path to answer 200 (default `/health/live`); `false` to not wait. */
  waitFor?: string | false;
  timeoutMs?: number;
  script?: string;
  /** Arguments after the script. */
  args?: string[];
  /** Working directory (the default DATA_DIR `.data` is relative to it). */
  cwd?: string;
  /** The built service to run (default DIST_DIR). */
  distDir?: string;
}

export async function startService(options: StartOptions = {}): Promise<ServiceProcess> {
  const port = Number(options.env?.PORT ?? (await freePort()));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DB_CONNECT_TIMEOUT_MS: '5000',
    ...options.env,
    PORT: String(port),
  })) {
    if (v !== undefined) env[k] = v;
  }
  const child = spawn(
    process.execPath,
    [join(options.distDir ?? DIST_DIR, options.script ?? 'main.js'), ...(options.args ?? [])],
    {
      env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': 'close' comes once the process has ended AND its output has been read to
  // the end (https://nodejs.org/api/child_process.html#event-close), so output() is complete then.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    port,
    process: child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    stop: async (timeoutMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  if (options.waitFor !== false) {
    await waitForHttp(
      `${url}${options.waitFor ?? '/health/live'}`,
      options.timeoutMs ?? 60_000,
      exited,
      () => out,
    );
  }
  return service;
}

export async function waitForHttp(
  url: string,
  timeoutMs: number,
  exited?: Promise<unknown>,
  output?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void exited?.then(() => (ended = true));
  while (Date.now() < deadline) {
    if (ended) throw new Error(`service exited before ${url} answered:\n${output?.() ?? ''}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${url}:\n${output?.() ?? ''}`);
}
