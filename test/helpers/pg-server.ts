import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DIST_DIR } from './service';

export interface PgServer {
  url: string;
  /** Stops PostgreSQL (fast shutdown: every connection is terminated) and waits for it. */
  stop(): Promise<void>;
}

/**
 * An embedded PostgreSQL of its own (src/database/embedded.ts, from the built service) in a child
 * process, so that stopping it is a real outage of another process.
 * With the same `dir` and `port` a later start reuses the cluster at the same URL.
 */
export async function startPgServer(dir: string, password: string, port: number): Promise<PgServer> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(join(DIST_DIR, 'database', 'embedded.js'))});
    const pino = require('pino');
    startEmbeddedPostgres(${JSON.stringify(dir)}, ${JSON.stringify(password)}, pino({ level: 'warn' }), 'bulwark', ${port}).then((db) => {
      process.on('SIGTERM', () => db.stop('fast').then(() => process.exit(0), () => process.exit(1)));
      process.stdout.write(JSON.stringify({ url: db.url }) + '\\n');
    }, (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`embedded PostgreSQL exited (${code}):\n${err}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
