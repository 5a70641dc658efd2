import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as argon2 from 'argon2';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { HttpClient, signIn } from '../helpers/http-client';
import { DIST_DIR, startService } from '../helpers/service';

/** Runs the built `admin:create` entry (`node dist/users/admin-create.js`) to its end. */
function adminCreate(
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }))
      if (v !== undefined) merged[k] = v;
    const child = spawn(process.execPath, [join(DIST_DIR, 'users', 'admin-create.js'), ...args], {
      env: merged,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    // 'close' comes after the output has been read to its end; 'exit' may come before the last of it.
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('first admin and npm run admin:create (system)', () => {
  describe('with DATABASE_URL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db.drop();
    });

    it('creates an admin with ADMIN_PASSWORD, printing one line; a second run changes nothing', async () => {
      const run = await adminCreate(['--email', 'Boss@Example.test'], {
        DATABASE_URL: db.url,
        ADMIN_PASSWORD: 'boss-password-123',
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('admin created: boss@example.test\n');
      const [row] = await query<{ role: string; password_hash: string }>(
        db.url,
        'SELECT role, password_hash FROM users WHERE email = $1',
        ['boss@example.test'],
      );
      expect(row.role).toBe('admin');
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(await argon2.verify(row.password_hash, 'boss-password-123')).toBe(true);
      const audit = await query<{ action: string; request_id: string }>(
        db.url,
        'SELECT action, request_id FROM audit_log',
      );
      expect(audit).toEqual([{ action: 'user.created', request_id: 'cli:admin-create' }]);

      const again = await adminCreate(['--email=boss@example.test'], {
        DATABASE_URL: db.url,
        ADMIN_PASSWORD: 'ignored-password',
      });
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('already an admin: boss@example.test (nothing changed)\n');
    });

    it('promotes an existing user (password unchanged); takes the password from standard input when not set', async () => {
      const hash = await argon2.hash('user-password-123', {
        type: argon2.argon2id,
        memoryCost: 19456,
        timeCost: 2,
        parallelism: 1,
      });
      await query(
        db.url,
        `INSERT INTO users (email, name, password_hash) VALUES ('plain@example.test', 'Plain', $1)`,
        [hash],
      );
      const promoted = await adminCreate(['--email', 'plain@example.test'], { DATABASE_URL: db.url });
      expect(promoted.code).toBe(0);
      expect(promoted.stdout).toBe(
        'admin promoted: plain@example.test (existing user, password unchanged)\n',
      );
      const [row] = await query<{ role: string; password_hash: string }>(
        db.url,
        `SELECT role, password_hash FROM users WHERE email = 'plain@example.test'`,
      );
      expect(row).toEqual({ role: 'admin', password_hash: hash });

      const piped = await adminCreate(
        ['--email', 'piped@example.test'],
        { DATABASE_URL: db.url },
        'piped-password-123\n',
      );
      expect(piped.stdout).toBe('admin created: piped@example.test\n');
      const [created] = await query<{ password_hash: string }>(
        db.url,
        `SELECT password_hash FROM users WHERE email = 'piped@example.test'`,
      );
      expect(await argon2.verify(created.password_hash, 'piped-password-123')).toBe(true);
    });

    it('refuses a missing e-mail, a short password, and no password at all, with exit code ≠ 0', async () => {
      const noEmail = await adminCreate([], { DATABASE_URL: db.url, ADMIN_PASSWORD: 'boss-password-123' });
      expect(noEmail.code).not.toBe(0);
      expect(noEmail.stderr).toMatch(/usage: npm run admin:create -- --email E/);
      const short = await adminCreate(['--email', 'short@example.test'], {
        DATABASE_URL: db.url,
        ADMIN_PASSWORD: 'short',
      });
      expect(short.code).not.toBe(0);
      expect(short.stderr).toMatch(/10–128 characters/);
      const none = await adminCreate(['--email', 'none@example.test'], { DATABASE_URL: db.url }, '');
      expect(none.code).not.toBe(0);
      expect(none.stderr).toMatch(/no password/);
      const rows = await query(
        db.url,
        `SELECT 1 FROM users WHERE email IN ('short@example.test', 'none@example.test')`,
      );
      expect(rows).toHaveLength(0);
    });
  });

  describe('embedded mode', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-first-admin-'));
    chmodSync(dataDir, 0o755);
    const env = { DATABASE_URL: undefined, DATA_DIR: dataDir, JWT_SECRET: undefined, SHUTDOWN_DELAY_MS: '0' };
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('the first start creates an admin and prints its random password once; it logs in; later starts print nothing', async () => {
      const first = await startService({ env, waitFor: '/health/ready', timeoutMs: 120_000 });
      let password: string;
      try {
        const match = /FIRST ADMIN \(shown once\): e-mail (\S+) password (\S+)/.exec(first.output());
        expect(match).not.toBeNull();
        password = match![2];
        expect(password.length).toBeGreaterThanOrEqual(20);
        const admin = await signIn(new HttpClient(first.url), { email: match![1], password });
        expect((await admin.call('GET', '/v1/users')).status).toBe(200);
        // The password is printed by that one line only, never logged.
        expect(first.output().split(password).length - 1).toBe(1);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const made = await adminCreate(['--email', 'second-admin@example.test'], {
        ...env,
        ADMIN_PASSWORD: 'second-admin-pass',
      });
      expect(made.stderr).toBe('');
      expect(made.stdout).toBe('admin created: second-admin@example.test\n');

      const second = await startService({ env, waitFor: '/health/ready', timeoutMs: 120_000 });
      try {
        expect(second.output()).not.toContain('FIRST ADMIN');
        const login = await new HttpClient(second.url).call('POST', '/v1/auth/login', {
          email: 'second-admin@example.test',
          password: 'second-admin-pass',
        });
        expect(login.status).toBe(200);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    });
  });
});
