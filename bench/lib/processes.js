'use strict';
/** Spawning the two servers, waiting for readiness, and reading their memory from /proc. */
const { spawn } = require('node:child_process');
const { openSync, closeSync, readFileSync, existsSync } = require('node:fs');
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
async function waitReady(server, path = '/health/ready', timeoutMs = 60_000) {
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

module.exports = { freePort, spawnServer, waitReady, memoryOf, sampleRss };
