import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { BackupEnvironment } from '../../config/backup-environment';
import { installedBinaries } from '../postgres-placement';

/** A PostgreSQL client program found on this machine and its major version. */
export interface PgTool {
  path: string;
  major: number;
  /** The program's own `--version` line, e.g. `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`. */
  version: string;
}

export type PgToolName = 'pg_dump' | 'pg_restore';

/** A failure the backup and restore commands report as one line on stderr (exit 1). */
export class BackupError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' ').trim());
    this.name = 'BackupError';
  }
}

/** The major version in a `--version` line (`pg_dump (PostgreSQL) 18.1` → 18), or undefined. */
export function parseToolMajor(versionLine: string): number | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.\d+)?/.exec(versionLine);
  return m ? Number(m[1]) : undefined;
}

/**
 * The program to use for a server (or an archive) of major version `needed`: pg_dump refuses to dump
 * a server newer than itself, and pg_restore cannot read an archive written by a newer pg_dump. Of the
 * programs that are new enough, the oldest: its output is the one most likely to load into servers
 * of the same major version as the source (a newer pg_dump may emit settings an older server rejects).
 * Among equal versions the first found wins (PG_BIN_DIR, then the embedded package, then PATH).
 */
export function pickTool(found: readonly PgTool[], needed: number): PgTool | undefined {
  let best: PgTool | undefined;
  for (const tool of found) {
    if (tool.major < needed) continue;
    if (!best || tool.major < best.major) best = tool;
  }
  return best;
}

/** Where PostgreSQL client programs may be, in order of preference. */
export function candidateDirs(env: Pick<BackupEnvironment, 'pgBinDir' | 'path'>): string[] {
  if (env.pgBinDir) return [env.pgBinDir];
  const dirs: string[] = [];
  // The embedded PostgreSQL's platform package (its version matches the embedded server). The
  // current packages ship only initdb, pg_ctl and postgres; a package that ships the client
  // programs too is used first.
  try {
    dirs.push(join(installedBinaries().native, 'bin'));
  } catch {
    // no embedded binaries on this machine: the client programs come from PATH
  }
  // Debian and Ubuntu keep every installed major version side by side (postgresql-client-NN).
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) {
      dirs.push(join(debian, version, 'bin'));
    }
  }
  for (const dir of env.path.split(delimiter)) if (dir) dirs.push(dir);
  return [...new Set(dirs)];
}

/** Every runnable copy of `name` in `dirs`, with its version. */
export function findTools(name: PgToolName, dirs: readonly string[]): PgTool[] {
  const tools: PgTool[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      // /bin and /usr/bin are one directory on merged-/usr systems: one program, listed once.
      const real = realpathSync(path);
      if (seen.has(real)) continue;
      seen.add(real);
    } catch {
      continue;
    }
    let version: string;
    try {
      version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      continue;
    }
    const major = parseToolMajor(version);
    if (major !== undefined) tools.push({ path, major, version });
  }
  return tools;
}

/** The `name` program able to handle major version `needed`, or a BackupError saying what to install. */
export function requireTool(
  name: PgToolName,
  needed: number,
  what: string,
  env: Pick<BackupEnvironment, 'pgBinDir' | 'path'>,
): PgTool {
  const found = findTools(name, candidateDirs(env));
  const tool = pickTool(found, needed);
  if (tool) return tool;
  const seen = found.length
    ? `found only ${found.map((t) => `${t.path} (${t.major})`).join(', ')}`
    : `found none${env.pgBinDir ? ` in PG_BIN_DIR=${env.pgBinDir}` : ' on PATH'}`;
  throw new BackupError(
    `${name} ${needed} or newer is needed for ${what}, ${seen}; install the PostgreSQL ${needed} client programs (Debian: postgresql-client-${needed}) or set PG_BIN_DIR to their directory`,
  );
}
