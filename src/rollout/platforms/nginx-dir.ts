import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  assertConfMatches,
  CONF_FILE,
  LOCK_FILE,
  NginxState,
  parseState,
  renderConf,
  STATE_FILE,
} from './nginx-config';
import { Colour, InconsistentStateError, Lock, LockedError } from './platform';

// The nginx platform's directory: rollout-state.json (the source of truth), the nginx.conf rendered
// from it, and the lock file. Reading checks the two against each other; writing the state is
// guarded by its generation, because `abort` takes no lock and may write at any moment.

/** A temp file name no other writer (another process, or this one) uses at the same time. */
export const tempName = (file: string): string =>
  `${file}.${process.pid}.${randomBytes(4).toString('hex')}.next`;

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NginxDir {
  constructor(readonly path: string) {}

  /** The state file alone (what `abort` trusts, also when nginx.conf was edited by hand). */
  async loadState(): Promise<NginxState> {
    let text: string;
    try {
      text = await readFile(join(this.path, STATE_FILE), 'utf8');
    } catch {
      throw new InconsistentStateError(`no ${STATE_FILE} in ${this.path}: not an nginx rollout directory`);
    }
    return parseState(text);
  }

  /** The state, refused when nginx.conf does not route what it says. */
  async loadConsistent(): Promise<NginxState> {
    const state = await this.loadState();
    let conf: string;
    try {
      conf = await readFile(join(this.path, CONF_FILE), 'utf8');
    } catch {
      throw new InconsistentStateError(`no ${CONF_FILE} in ${this.path}`);
    }
    assertConfMatches(state, conf);
    return state;
  }

  /**
   * Records `next` as the state, unless the state file's generation is no longer `from` (another
   * writer came first): false then, the state file left alone. The write is a rename of a unique
   * temp file, so a reader never sees half a file.
   */
  async recordIfStill(from: number, next: NginxState): Promise<boolean> {
    const current = await this.loadState().catch(() => null);
    if (current !== null && (current.generation ?? 0) !== from) return false;
    const stateFile = join(this.path, STATE_FILE);
    const temp = tempName(stateFile);
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`);
    await rename(temp, stateFile);
    return true;
  }

  /** An O_EXCL lock file; a holder whose process is gone on this very host is taken over. */
  async acquireLock(owner: string): Promise<Lock> {
    const file = join(this.path, LOCK_FILE);
    const me = { owner, pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(file, JSON.stringify(me), { flag: 'wx' });
        return {
          release: () => unlink(file).catch(() => undefined),
          renew: () =>
            Promise.reject(new Error('nginx lock renew: coming in the next commit of this branch')),
        };
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
