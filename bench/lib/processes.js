'use strict';
/** Spawning the two servers, waiting for readiness, and reading their memory from /proc. */
const { spawn } = require('node:child_process');
const { openSync, closeSync, readFileSync, readdirSync, existsSync } = require('node:fs');
const net = require('node:net');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <script>` with `env` (plus PORT), stdout and stderr appended to `logFile`.
 * @returns {Promise<{name: string, url: string, pid: number, startedAt: bigint, exited: Promise<unknown>, stop(): Promise<unknown>, tail(): string}>}
 */
async function spawnServer({ name, script, env, logFile, cwd, nodeArgs = [] }) {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const startedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let alive = true;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => ((alive = false), resolve(code ?? signal))));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    startedAt,
    exited,
    alive: () => alive,
    tail: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : ''),
    stop: async (timeoutMs = 15_000) => {
      if (!alive) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls `server.url + path` until it answers 200; returns the milliseconds since spawn. */
async function waitReady(server, path = '/health/ready', timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.alive()) throw new Error(`${server.name} exited before ${path} answered:\n${server.tail()}`);
    try {
      const res = await fetch(server.url + path);
      await res.arrayBuffer();
      if (res.status === 200) return Number(process.hrtime.bigint() - server.startedAt) / 1e6;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${server.name}: timed out waiting for ${path}:\n${server.tail()}`);
}

/** Resident set size and its high-water mark (bytes) of a process, from /proc/<pid>/status. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number((new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status) || [])[1] || 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(require('node:child_process').execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User and system CPU time (µs) of a process or one of its threads, from its `stat` file under /proc
 * (fields 14 and 15, in clock ticks: https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html).
 * The resolution is one tick (10 ms at the usual 100 Hz): fine over a run of seconds.
 */
function cpuOfStat(path) {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime (14) is index 11, stime (15) index 12.
  const us = (ticks) => (Number(ticks) * 1e6) / CLOCK_TICKS_PER_SECOND;
  return { user: us(fields[11]), system: us(fields[12]) };
}

/** CPU time (user + system) a process has used so far, in µs, threads that ended included. */
function cpuTimeOf(pid) {
  try {
    const { user, system } = cpuOfStat(`/proc/${pid}/stat`);
    return user + system;
  } catch {
    return null;
  }
}

const CPU_SPLIT_KEYS = ['mainUser', 'mainSystem', 'v8Workers', 'otherThreads'];

/**
 * The CPU time a process has used so far (µs), by where it ran, from each thread's
 * /proc/<pid>/task/<tid>/stat and comm:
 * - `mainUser`: the main thread in user mode: JavaScript, V8's runtime and the garbage collection
 *   done on the main thread;
 * - `mainSystem`: the main thread in the kernel: system calls (socket reads and writes) and page faults;
 * - `v8Workers`: V8's worker threads (`V8Worker`): background and concurrent garbage collection,
 *   background compilation;
 * - `otherThreads`: every other thread (libuv's pool: argon2 hashing, file system; the inspector).
 * A sampling profiler (`--cpu-prof`) ticks on wall time and charges a thread the time it spent
 * descheduled inside a call to that call; these are the kernel's own counts. A thread that ends
 * between two readings drops out of the split (the process total of cpuTimeOf keeps its time).
 */
function cpuSplitOf(pid) {
  const split = Object.fromEntries(CPU_SPLIT_KEYS.map((k) => [k, 0]));
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    try {
      const { user, system } = cpuOfStat(`/proc/${pid}/task/${tid}/stat`);
      if (tid === String(pid)) {
        split.mainUser += user;
        split.mainSystem += system;
      } else if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('V8Worker')) {
        split.v8Workers += user + system;
      } else {
        split.otherThreads += user + system;
      }
    } catch {
      // the thread ended between the listing and the reading
    }
  }
  return split;
}

/** What each part of a split (cpuSplitOf) grew by from `before` to `after`, in µs; null if either is. */
function cpuSplitSince(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(CPU_SPLIT_KEYS.map((k) => [k, Math.max(0, after[k] - before[k])]));
}

/**
 * The machine's CPU use by everything (not only the servers) since `before`, from /proc/stat: the
 * share of all cores that was busy, so a run made while other work loaded the machine says so.
 */
function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3] + (line[4] || 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

function busyShare(before, after) {
  if (!before || !after || after.total === before.total) return null;
  return Math.round((1 - (after.idle - before.idle) / (after.total - before.total)) * 1000) / 1000;
}

/** Samples RSS every `intervalMs` until `stop()`; answers the peak seen. */
function sampleRss(pid, intervalMs = 200) {
  let peak = memoryOf(pid).rss;
  const timer = setInterval(() => (peak = Math.max(peak, memoryOf(pid).rss)), intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid).rss);
    },
  };
}

module.exports = { freePort, spawnServer, waitReady, memoryOf, sampleRss, cpuTimeOf, cpuSplitOf, cpuSplitSince, CPU_SPLIT_KEYS, machineCpu, busyShare, CLOCK_TICKS_PER_SECOND };
