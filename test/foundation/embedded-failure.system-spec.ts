import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_DIR, startService } from '../helpers/service';

/**
 * A failure to start the embedded database (issue 14, "first run anywhere") is one line on stderr
 * that says what failed and what to do, with a non-zero exit code: never a stack trace.
 */
const ONE_LINE = /^embedded PostgreSQL: [^\n]+; [^\n]+\n$/;

function expectOneLine(stderr: string, reason: RegExp): void {
  expect(stderr).toMatch(ONE_LINE);
  expect(stderr).toMatch(reason);
  expect(stderr).not.toMatch(/\n\s+at |Error:/);
}

describe('embedded PostgreSQL that cannot start (system)', () => {
  const work = mkdtempSync(join(tmpdir(), 'bulwark-embedded-failure-'));
  chmodSync(work, 0o755);
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const env = (dataDir: string) => ({ DATABASE_URL: undefined, JWT_SECRET: undefined, DATA_DIR: dataDir });

  it("a damaged cluster: the service exits 69 with one line naming PostgreSQL's reason", async () => {
    const dataDir = join(work, 'damaged');
    const cluster = join(dataDir, 'postgres');
    mkdirSync(dataDir, { mode: 0o755 });
    mkdirSync(cluster, { mode: 0o700 });
    writeFileSync(join(cluster, 'PG_VERSION'), '9.6\n');
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(cluster, uid, gid);
      chownSync(join(cluster, 'PG_VERSION'), uid, gid);
    }
    const service = await startService({ env: env(dataDir), waitFor: false });
    expect(await service.exited).toBe(69);
    const stderr = service
      .output()
      .split('\n')
      .filter((l) => !l.startsWith('{'))
      .join('\n');
    expectOneLine(`${stderr.trim()}\n`, /PostgreSQL stopped while starting .*postgresql\.conf/);
  });

  it('a DATA_DIR that is a file: the service and admin:create each print one line and exit 69', async () => {
    const dataDir = join(work, 'a-file');
    writeFileSync(dataDir, 'not a directory');
    for (const script of ['main.js', join('users', 'admin-create.js')]) {
      const child = spawn(process.execPath, [join(DIST_DIR, script), '--email', 'x@example.test'], {
        env: { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: '', JWT_SECRET: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ script, code }).toEqual({ script, code: 69 });
      expectOneLine(stderr, /could not prepare DATA_DIR .*writable directory/);
    }
  });
});
