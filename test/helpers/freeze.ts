import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parent of `pid` from /proc, or undefined when it has gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (children, their children, ...). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) parents.set(Number(entry), parent);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/**
 * Stops a process and all its descendants with SIGSTOP (the root first, so it forks nothing new
 * meanwhile): a server that keeps its connections open and answers nothing. Returns the stopped pids,
 * for `thaw`.
 */
export function freeze(root: number): number[] {
  process.kill(root, 'SIGSTOP');
  const children = descendants(root);
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      // it had just exited
    }
  }
  return [root, ...children];
}

/** SIGCONT to every process `freeze` stopped, the children first. */
export function thaw(pids: number[]): void {
  for (const pid of [...pids].reverse()) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}

/** The postmaster of an embedded cluster started under `dataDir` (src/database/embedded.ts). */
export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid under ${dataDir}`);
  return pid;
}
