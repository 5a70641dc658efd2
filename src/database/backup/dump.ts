import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import type { BackupEnvironment } from '../../config/backup-environment';
import { BackupError, PgTool, requireTool } from './pg-tools';

/**
 * A path as the person typed it: relative to the directory `npm run` was called from (npm runs the
 * script in the package's root and says where it was called in INIT_CWD), else to the process's.
 */
export function fromCaller(path: string, env: Pick<BackupEnvironment, 'callerDir'>): string {
  return resolve(env.callerDir, path);
}

/** The first bytes of every pg_dump archive in the custom format (`--format=custom`). */
const ARCHIVE_MAGIC = 'PGDMP';

/** A database URL split for libpq: the password travels in PGPASSWORD, never on a command line. */
export function connectionFor(url: string): { dbname: string; password?: string; database: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BackupError('the database URL is not a valid postgres:// URL');
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  return { dbname: parsed.toString(), password, database };
}

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A backend terminated while connected must become a rejected query, not a crashed process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const { database } = connectionFor(url);
    throw new BackupError(`cannot connect to the database "${database}": ${describe(error)}`);
  }
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server's major version (`SHOW server_version_num`: 150020 → 15). */
async function serverMajor(client: Client): Promise<number> {
  const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
  return Math.floor(Number(rows[0].server_version_num) / 10_000);
}

/** Relations (tables, views, sequences) outside the system schemas: a fresh database has none. */
async function userRelations(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  return Number(rows[0].n);
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Runs a PostgreSQL program; resolves with its stdout, or rejects with its last error line. */
function run(
  tool: PgTool,
  args: string[],
  password: string | undefined,
  environment: BackupEnvironment,
): Promise<string> {
  return new Promise((done, fail) => {
    const env = { ...environment.childEnv };
    if (password !== undefined) env.PGPASSWORD = password;
    const child = spawn(tool.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => fail(new BackupError(`${tool.path} could not run: ${describe(e)}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return done(Buffer.concat(out).toString());
      const lines = err.split(/\r?\n/).filter((l) => l.trim());
      const last = lines.filter((l) => /error|fatal|could not|cannot|abort/i.test(l)).at(-1) ?? lines.at(-1);
      fail(
        new BackupError(
          `${tool.path.split('/').pop()} failed (${signal ?? `exit ${code}`}): ${last?.trim() ?? 'no output'}`,
        ),
      );
    });
  });
}

export interface BackupResult {
  file: string;
  bytes: number;
  seconds: number;
  serverMajor: number;
  tool: PgTool;
}

/**
 * Writes a logical backup of the database at `url` to `out` with pg_dump (custom format, one
 * consistent snapshot: a transaction-consistent copy even while the service writes). The archive is
 * written beside `out` under a temporary name and renamed when complete, so a file at `out` is always
 * a whole backup. An existing `out` is never overwritten.
 */
export async function backupDatabase(
  url: string,
  out: string,
  env: BackupEnvironment,
): Promise<BackupResult> {
  const file = fromCaller(out, env);
  if (existsSync(file))
    throw new BackupError(`${file} already exists; choose a new file name (backups are never overwritten)`);
  if (!existsSync(dirname(file))) throw new BackupError(`the directory ${dirname(file)} does not exist`);
  const major = await withClient(url, serverMajor);
  const tool = requireTool('pg_dump', major, `a PostgreSQL ${major} server`, env);
  const { dbname, password } = connectionFor(url);
  const partial = `${file}.partial-${process.pid}`;
  const started = process.hrtime.bigint();
  try {
    // --no-owner/--no-privileges: the archive restores under whichever role runs the restore.
    await run(
      tool,
      ['--format=custom', '--no-owner', '--no-privileges', `--file=${partial}`, `--dbname=${dbname}`],
      password,
      env,
    );
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return {
    file,
    bytes: statSync(file).size,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    serverMajor: major,
    tool,
  };
}

/** The pg_dump major version that wrote an archive (`; Dumped by pg_dump version: 15.20` in its listing). */
export function dumpedByMajor(listing: string): number | undefined {
  const m = /Dumped by pg_dump version:\s*(\d+)/.exec(listing);
  return m ? Number(m[1]) : undefined;
}

/** The major version of the pg_dump that wrote `file`, read from the archive header by pg_restore. */
async function archiveMajor(file: string, env: BackupEnvironment): Promise<number> {
  // Any pg_restore can list an archive from its own or an older pg_dump; try the newest first.
  const listing = await run(
    requireTool('pg_restore', 0, 'reading the archive', env),
    ['--list', file],
    undefined,
    env,
  );
  const major = dumpedByMajor(listing);
  if (major === undefined) throw new BackupError(`${file} does not say which pg_dump wrote it`);
  return major;
}

function assertArchive(file: string): void {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  const head = Buffer.alloc(ARCHIVE_MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== ARCHIVE_MAGIC) {
    throw new BackupError(
      `${file} is not a pg_dump archive in the custom format (as npm run db:backup writes)`,
    );
  }
}

export interface RestoreResult {
  file: string;
  database: string;
  seconds: number;
  tool: PgTool;
}

/**
 * Restores the archive `from` into the database at `url`, which must exist and be empty (a fresh
 * database: restoring over live data would mix two histories). One transaction: on any error nothing
 * stays behind and the database is as empty as before.
 */
export async function restoreDatabase(
  url: string,
  from: string,
  env: BackupEnvironment,
): Promise<RestoreResult> {
  const file = fromCaller(from, env);
  assertArchive(file);
  const { dbname, password, database } = connectionFor(url);
  const existing = await withClient(url, userRelations);
  if (existing > 0) {
    throw new BackupError(
      `the database "${database}" is not empty (${existing} tables, views or sequences); restore into a new, empty database (createdb) and point DATABASE_URL at it`,
    );
  }
  const fromMajor = await archiveMajor(file, env);
  const tool = requireTool('pg_restore', fromMajor, `an archive written by pg_dump ${fromMajor}`, env);
  const started = process.hrtime.bigint();
  await run(
    tool,
    ['--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', `--dbname=${dbname}`, file],
    password,
    env,
  );
  return { file, database, seconds: Number(process.hrtime.bigint() - started) / 1e9, tool };
}
