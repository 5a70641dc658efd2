import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { backupEnvironment } from '../../src/config/backup-environment';
import { candidateDirs, findTools } from '../../src/database/backup/pg-tools';
import { startEmbeddedPostgres } from '../../src/database/embedded';
import { adminUrl } from './database';

/** A PostgreSQL server this machine's pg_dump can dump, as its maintenance-database URL. */
export interface DumpablePostgres {
  adminUrl: string;
  major: number;
  /** Where it comes from, for the spec's output. */
  origin: string;
  stop(): Promise<void>;
}

async function serverMajor(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Math.floor(Number(rows[0].v) / 10_000);
  } finally {
    await client.end();
  }
}

/**
 * pg_dump refuses a server newer than itself. The run's server (the embedded PostgreSQL 18, or
 * TEST_DATABASE_URL) when the newest pg_dump here can dump it; otherwise a throw-away cluster of the
 * newest PostgreSQL server whose client programs are installed side by side (Debian's
 * /usr/lib/postgresql/N/bin: scripts/setup.d/50-postgres-client.sh installs Debian's PostgreSQL).
 */
export async function dumpablePostgres(): Promise<DumpablePostgres> {
  const tools = findTools('pg_dump', candidateDirs(backupEnvironment()));
  const newest = Math.max(0, ...tools.map((t) => t.major));
  const run = adminUrl();
  const runMajor = await serverMajor(run);
  if (runMajor <= newest) {
    return {
      adminUrl: run,
      major: runMajor,
      origin: `the run's PostgreSQL ${runMajor}`,
      stop: async () => undefined,
    };
  }
  const server = [...tools]
    .sort((a, b) => b.major - a.major)
    .map((t) => join(t.path, '..'))
    .find((dir) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')));
  if (!server) {
    throw new Error(
      `pg_dump ${newest || '(none)'} cannot dump the run's PostgreSQL ${runMajor}, and no PostgreSQL server of a version it can dump is installed: run scripts/setup.d/50-postgres-client.sh, or install the PostgreSQL ${runMajor} client programs`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-dumpable-pg-'));
  const version = tools.find((t) => join(t.path, '..') === server)!.major;
  const pg = await startEmbeddedPostgres(
    dataDir,
    'dumpable-postgres-password',
    pino({ level: 'warn' }),
    'postgres_drill',
    undefined,
    { initdb: join(server, 'initdb'), postgres: join(server, 'postgres'), version: String(version) },
  );
  return {
    adminUrl: pg.adminUrl,
    major: version,
    origin: `a throw-away PostgreSQL ${version} cluster (${server}), since pg_dump ${newest} cannot dump the run's ${runMajor}`,
    stop: async () => {
      await pg.stop('fast');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
