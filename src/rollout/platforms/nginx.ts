import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { check, CommandRunner } from './command-runner';
import {
  assertConfMatches,
  CONF_FILE,
  GENERATION_PATH,
  LOCK_FILE,
  NginxState,
  parseState,
  renderConf,
  STATE_FILE,
  toRolloutState,
} from './nginx-config';
import {
  AbortedByHandError,
  assertWeight,
  Colour,
  InconsistentStateError,
  Lock,
  LockedError,
  otherColour,
  Platform,
  PlatformOptions,
  RolloutState,
} from './platform';

// A weighted nginx upstream in front of two local Bulwark processes. A change writes the new
// nginx.conf next to the old one, has `nginx -t` check it, swaps it in and reloads nginx
// (a reload with a bad config keeps the old one running); only then the state file is updated.
// http://nginx.org/en/docs/http/ngx_http_upstream_module.html#server — weight=0 is invalid, so a
// colour without traffic is marked `down`.
// `abort` takes no lock, so it can interleave with a `run`'s change: temp files are unique per write,
// and the state file is only replaced when its generation is still the one the change started from
// (else the other writer's state is loaded into nginx again and the change gives way).

/** A temp file name no other writer (another process, or this one) uses at the same time. */
const tempName = (file: string): string => `${file}.${process.pid}.${randomBytes(4).toString('hex')}.next`;

export function defaultNginxBin(): string {
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

export interface NginxInit {
  listen: string;
  blue: string;
  green: string;
  activeColor?: Colour;
  versions?: Partial<Record<Colour, string | null>>;
}

/** Creates the state file and nginx.conf in `dir` (weight 0); nginx is then started on that conf. */
export async function initNginxDir(dir: string, init: NginxInit): Promise<NginxState> {
  if (existsSync(join(dir, STATE_FILE)))
    throw new InconsistentStateError(`${join(dir, STATE_FILE)} exists already`);
  const state: NginxState = {
    listen: init.listen,
    activeColor: init.activeColor ?? 'blue',
    weight: 0,
    upstreams: {
      blue: { address: init.blue, version: init.versions?.blue ?? null },
      green: { address: init.green, version: init.versions?.green ?? null },
    },
  };
  await mkdir(join(dir, 'tmp'), { recursive: true });
  // nginx workers run as an unprivileged user when the master is root: they must reach the temp dirs.
  await chmod(dir, 0o755);
  await writeFile(join(dir, CONF_FILE), renderConf(state, dir));
  await writeFile(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** nginx's command line for a platform directory: prefix, config and error log all inside it. */
export function nginxArgs(dir: string, conf = join(dir, CONF_FILE)): string[] {
  return ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
}

function versionIn(body: unknown): string | null {
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (k === 'version' && typeof v === 'string') return v;
      const inner = versionIn(v);
      if (inner) return inner;
    }
  }
  return null;
}

/** GET on a fresh connection (no keep-alive pool): answered by whichever worker accepts it now. */
function freshGet(address: string, path: string): Promise<{ status: number; body: string }> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, path, agent: false, timeout: 2000, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The nginx worker processes (children of the master in nginx.pid) and whether each still accepts. */
async function workers(dir: string): Promise<Map<number, boolean> | null> {
  try {
    const master = Number((await readFile(join(dir, 'nginx.pid'), 'utf8')).trim());
    const found = new Map<number, boolean>();
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== master) continue;
      const title = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      // An old worker renames itself "… is shutting down" once it has stopped accepting.
      found.set(Number(entry), !title.includes('shutting down'));
    }
    return found;
  } catch {
    return null; // no /proc (not Linux) or no pid file: the generation check alone decides
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NginxPlatform implements Platform {
  readonly type = 'nginx';
  private readonly dir: string;
  private readonly runner: CommandRunner;
  private readonly bin: string;

  constructor(private readonly o: PlatformOptions) {
    if (!o.nginxDir) throw new Error('the nginx platform needs --nginx-dir (or ROLLOUT_NGINX_DIR)');
    this.dir = o.nginxDir;
    this.runner = o.runner;
    this.bin = o.nginxBin ?? defaultNginxBin();
  }

  private async loadState(): Promise<NginxState> {
    let text: string;
    try {
      text = await readFile(join(this.dir, STATE_FILE), 'utf8');
    } catch {
      throw new InconsistentStateError(`no ${STATE_FILE} in ${this.dir}: not an nginx rollout directory`);
    }
    return parseState(text);
  }

  private async loadConsistent(): Promise<NginxState> {
    const state = await this.loadState();
    let conf: string;
    try {
      conf = await readFile(join(this.dir, CONF_FILE), 'utf8');
    } catch {
      throw new InconsistentStateError(`no ${CONF_FILE} in ${this.dir}`);
    }
    assertConfMatches(state, conf);
    return state;
  }

  /** Applies `wanted` (read from the state file); gives way to an `abort` that wrote meanwhile. */
  private async apply(wanted: NginxState): Promise<void> {
    if (await this.tryApply(wanted)) return;
    // Someone wrote the state file since `wanted` was read: their change stands. nginx may be running
    // our config, so load theirs again, then stop.
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.loadState();
      if (await this.tryApply(current)) {
        if (current.weight === 0 && current.activeColor === wanted.activeColor)
          throw new AbortedByHandError('aborted by hand during the change: weight 0 stands');
        throw new InconsistentStateError(
          `the state changed during the change (active ${current.activeColor}, weight ${current.weight}); it stands`,
        );
      }
    }
    throw new Error(`${STATE_FILE} keeps changing under this change; run \`abort\``);
  }

  /**
   * Writes, tests and loads the conf for `wanted` + 1 generation, then records it as the state —
   * unless the state file's generation is no longer `wanted`'s: false then, the state left alone.
   */
  private async tryApply(wanted: NginxState): Promise<boolean> {
    const next: NginxState = { ...wanted, generation: (wanted.generation ?? 0) + 1 };
    const conf = join(this.dir, CONF_FILE);
    const candidate = tempName(conf);
    try {
      await writeFile(candidate, renderConf(next, this.dir));
      await check(this.runner, this.bin, ['-t', '-q', ...nginxArgs(this.dir, candidate)]);
      const previous = await readFile(conf, 'utf8').catch(() => null);
      const before = await workers(this.dir);
      await rename(candidate, conf);
      try {
        await check(this.runner, this.bin, ['-s', 'reload', ...nginxArgs(this.dir)]);
      } catch (err) {
        if (previous !== null) await writeFile(conf, previous);
        throw err;
      }
      await this.waitForGeneration(next, before);
    } finally {
      await unlink(candidate).catch(() => undefined);
    }
    const current = await this.loadState().catch(() => null);
    if (current !== null && (current.generation ?? 0) !== (wanted.generation ?? 0)) return false;
    const stateFile = join(this.dir, STATE_FILE);
    const temp = tempName(stateFile);
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`);
    await rename(temp, stateFile);
    return true;
  }

  /**
   * `nginx -s reload` only signals the master: it starts new workers, then tells the old ones to stop
   * accepting; until they do, both take new connections. The change counts as made once fresh
   * connections are answered by the new configuration and (on Linux) every worker from before the
   * reload has stopped accepting (http://nginx.org/en/docs/control.html#reconfiguration).
   */
  private async waitForGeneration(next: NginxState, before: Map<number, boolean> | null): Promise<void> {
    const want = String(next.generation);
    const deadline = Date.now() + 15_000;
    let inARow = 0;
    let last = '';
    for (;;) {
      try {
        const r = await freshGet(next.listen, GENERATION_PATH);
        last = `generation ${r.body.trim()}`;
        inARow = r.status === 200 && r.body.trim() === want ? inARow + 1 : 0;
      } catch (err) {
        last = (err as Error).message;
        inARow = 0;
      }
      if (inARow >= 3) {
        const now = before ? await workers(this.dir) : null;
        const oldAccepting = now ? [...before!.keys()].filter((pid) => now.get(pid) === true) : [];
        if (oldAccepting.length === 0) return;
        last = `old workers ${oldAccepting.join(', ')} still accepting`;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `nginx did not load the new configuration (want generation ${want}; ${last}); see ${join(this.dir, 'error.log')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async readState(): Promise<RolloutState> {
    return toRolloutState(await this.loadConsistent());
  }

  async start(tag: string): Promise<void> {
    const state = await this.loadConsistent();
    if (state.weight > 0)
      throw new InconsistentStateError(
        `a canary is live at weight ${state.weight}: promote or abort it before starting another version`,
      );
    const idle = otherColour(state.activeColor);
    const address = state.upstreams[idle].address;
    // Locally the processes are the operator's: `start` waits until the idle colour's process runs
    // the tag and is ready, then records it.
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 120_000);
    let last = 'no answer yet';
    for (;;) {
      try {
        const live = await fetch(`http://${address}/health/live`, { signal: AbortSignal.timeout(2000) });
        const version = versionIn(await live.json().catch(() => null));
        const ready = await fetch(`http://${address}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await ready.arrayBuffer();
        if (version !== null && version !== tag) last = `runs version ${version}, not ${tag}`;
        else if (ready.status !== 200) last = `not ready (/health/ready answered ${ready.status})`;
        else break;
      } catch (err) {
        last = `unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`;
      }
      if (Date.now() > deadline)
        throw new Error(`idle colour ${idle} at ${address} ${last}: deploy ${tag} there and retry`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.apply({
      ...state,
      weight: 0,
      upstreams: { ...state.upstreams, [idle]: { address, version: tag } },
    });
  }

  async setWeight(weight: number): Promise<void> {
    assertWeight(weight);
    const state = await this.loadConsistent();
    if (weight > 0 && state.upstreams[otherColour(state.activeColor)].version === null) {
      throw new InconsistentStateError('the preview colour has no version: run `start --tag T` first');
    }
    await this.apply({ ...state, weight });
  }

  async promote(): Promise<void> {
    const state = await this.loadConsistent();
    const preview = otherColour(state.activeColor);
    if (state.upstreams[preview].version === null)
      throw new InconsistentStateError(`the preview colour ${preview} has no version to promote`);
    await this.apply({ ...state, activeColor: preview, weight: 0 });
  }

  async abort(): Promise<void> {
    // The state file alone is enough: abort is the way out of a hand-edited nginx.conf too. No lock:
    // when a `run` records a change meanwhile, abort starts again from the state it wrote.
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.loadState();
      if (await this.tryApply({ ...state, weight: 0 })) return;
    }
    throw new Error(`${STATE_FILE} keeps changing under abort; run it again`);
  }

  async acquireLock(owner: string): Promise<Lock> {
    const file = join(this.dir, LOCK_FILE);
    const me = { owner, pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, JSON.stringify(me), { flag: 'wx' });
        return { release: () => unlink(file).catch(() => undefined) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Partial<typeof me>;
      const stale = holder.host === me.host && typeof holder.pid === 'number' && !alive(holder.pid);
      if (!stale) {
        throw new LockedError(
          `another rollout is running: ${holder.owner ?? '?'} (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.since ?? '?'}). ` +
            `If it is gone, remove ${file}`,
        );
      }
      // Its process is dead on this very host: the lock is stale.
      await unlink(file).catch(() => undefined);
    }
    throw new LockedError(`could not take the lock ${file}`);
  }
}
