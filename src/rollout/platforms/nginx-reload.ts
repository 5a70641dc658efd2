import { existsSync } from 'node:fs';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { check, CommandRunner } from './command-runner';
import { CONF_FILE, GENERATION_PATH, NginxState, renderConf } from './nginx-config';
import { tempName } from './nginx-dir';

// The running nginx behind the platform: its binary, its command line for a platform directory, and
// loading a new configuration so that it is in effect when the call returns. A new nginx.conf is
// written next to the old one, checked by `nginx -t`, swapped in and reloaded (a reload with a bad
// config keeps the old one running).

export function defaultNginxBin(): string {
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

/** nginx's command line for a platform directory: prefix, config and error log all inside it. */
export function nginxArgs(dir: string, conf = join(dir, CONF_FILE)): string[] {
  return ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
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

export class NginxReloader {
  constructor(
    private readonly runner: CommandRunner,
    private readonly bin: string,
    private readonly dir: string,
  ) {}

  /**
   * Makes nginx route by `next`: writes its conf beside the live one, has `nginx -t` check it, swaps
   * it in and reloads; a failed reload puts the previous conf back. Returns once the new
   * configuration is the one answering.
   */
  async load(next: NginxState): Promise<void> {
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
}
