import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded';

export interface RedisServer {
  url: string;
  /** The redis-server process (e.g. to stop it with SIGSTOP). */
  pid: number;
  stop(): Promise<void>;
}

/** Installs redis-server through the setup step when this machine has none (Debian's package). */
function ensureRedisServer(): void {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'setup.d', '10-redis.sh')], {
    stdio: 'inherit',
  });
}

/** A throwaway redis-server of the spec's own on a free loopback port, no persistence. */
export async function startRedisServer(): Promise<RedisServer> {
  ensureRedisServer();
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`redis-server exited:\n${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
