import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGING_ROOT } from '../../src/database/postgres-placement';
import { HttpClient } from '../helpers/http-client';
import { startService } from '../helpers/service';

/**
 * "First run anywhere" (issue 14): as root, with the clone in a directory only root can enter (0700,
 * like root's home), the service starts its embedded PostgreSQL (which runs as the `postgres` user)
 * and the test suite's embedded PostgreSQL starts too, without the clone's permissions being
 * opened. The built project is copied (hard links: instant, no space) into a fresh 0700 directory.
 */
const ROOT = join(__dirname, '..', '..');
const asRoot = process.getuid?.() === 0;
const COPIED = [
  'dist',
  'node_modules',
  'src',
  'test',
  'package.json',
  'jest.config.js',
  'tsconfig.json',
  'tsconfig.test.json',
  '.swcrc',
];

(asRoot ? describe : describe.skip)('first run as root from a 0700 directory (system)', () => {
  let parent: string;
  let clone: string;
  const clustersMade: string[] = [];

  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'bulwark-root-only-')); // mkdtemp: mode 0700
    clone = join(parent, 'bulwark');
    execFileSync('mkdir', [clone]);
    for (const entry of COPIED) execFileSync('cp', ['-al', join(ROOT, entry), join(clone, entry)]);
  });
  afterAll(() => {
    for (const dir of clustersMade) rmSync(dir, { recursive: true, force: true });
    rmSync(parent, { recursive: true, force: true });
  });

  it('npm start: the service starts, keeps its data across a restart, and the clone stays 0700', async () => {
    const env = {
      DATABASE_URL: undefined,
      DATA_DIR: undefined,
      JWT_SECRET: undefined,
      SHUTDOWN_DELAY_MS: '0',
    };
    const options = {
      env,
      cwd: clone,
      distDir: join(clone, 'dist'),
      waitFor: '/health/ready',
      timeoutMs: 180_000,
    };
    const first = await startService(options);
    let credentials: { email: string; password: string };
    try {
      const match = /FIRST ADMIN \(shown once\): e-mail (\S+) password (\S+)/.exec(first.output());
      expect(match).not.toBeNull();
      credentials = { email: match![1], password: match![2] };
    } finally {
      expect(await first.stop()).toBe(0);
    }

    // The cluster lives where the postgres user can reach it, linked from DATA_DIR (.data in the clone).
    const link = join(clone, '.data', 'postgres');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const cluster = readlinkSync(link);
    clustersMade.push(cluster);
    expect(cluster.startsWith(join(STAGING_ROOT, 'clusters'))).toBe(true);
    const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    expect(statSync(cluster).uid).toBe(postgresUid);
    expect(statSync(cluster).mode & 0o777).toBe(0o700);
    // The binaries were copied root-owned and closed to other writers.
    const staged = readdirSync(STAGING_ROOT).filter(
      (name) => name.startsWith('postgres-') && !name.includes('.partial'),
    );
    expect(staged.length).toBeGreaterThan(0);
    for (const name of staged) {
      const stat = statSync(join(STAGING_ROOT, name));
      expect({ uid: stat.uid, writableByOthers: (stat.mode & 0o022) !== 0 }).toEqual({
        uid: 0,
        writableByOthers: false,
      });
    }
    // Nothing was opened up on the way.
    expect(statSync(parent).mode & 0o777).toBe(0o700);

    const second = await startService(options);
    try {
      expect(second.output()).not.toContain('FIRST ADMIN');
      const login = await new HttpClient(second.url).call('POST', '/v1/auth/login', credentials!);
      expect(login.status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it("npm test's path: the embedded test PostgreSQL (jest global setup) starts and an e2e spec passes on it", async () => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      // The outer run's database and jest's own worker variables must not leak into the inner run.
      if (value === undefined || /^(TEST_DATABASE_URL|BULWARK_TEST_|JEST_)/.test(key)) continue;
      env[key] = value;
    }
    const child = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        '--no-warnings=ExperimentalWarning',
        'node_modules/jest/bin/jest.js',
        '--ci',
        '--selectProjects',
        'e2e',
        '--runTestsByPath',
        'test/operability/health.e2e-spec.ts',
      ],
      { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, output }).toEqual({
      code: 0,
      output: expect.stringMatching(/Tests:\s+\d+ passed, \d+ total/),
    });
    expect(statSync(parent).mode & 0o777).toBe(0o700);
  });
});
