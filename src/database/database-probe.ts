import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/** A probe statement that got no answer within its bound. */
export class ProbeTimeout extends Error {
  constructor(readonly afterMs: number) {
    super(`no answer from the database within ${afterMs} ms`);
    this.name = 'ProbeTimeout';
  }
}

function within<T>(pending: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ProbeTimeout(ms)), Math.max(0, ms));
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

const ignore = (): undefined => undefined;

/**
 * The readiness ping's own connection, outside the pool. Through the pool, a burst that keeps every
 * pooled connection busy would make the ping wait in the pool's queue and time out, and an
 * orchestrator would then pull every busy replica out of rotation at once: readiness must say whether
 * the database answers, not whether the pool is momentarily full.
 *
 * Readiness must come back the moment the database answers again, also on a host too busy to open a
 * connection within one ping's bound:
 * - opening a connection is bounded by DB_CONNECT_TIMEOUT_MS, not by one ping: a slow connect
 *   started by one ping serves the next one;
 * - a connection whose statement got no answer in time (a silent server) is kept aside, not closed:
 *   its late answer proves the server answers again (a ping succeeds on it) and it serves the next
 *   pings; meanwhile every ping also tries a fresh connection, in case that one never answers (a
 *   failover to another host). Any other failure closes the connection.
 */
@Injectable()
export class DatabaseProbe implements OnModuleDestroy {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private stalled: { client: Client; lateAnswer: Promise<void> } | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Resolves when the database answered within `timeoutMs`; concurrent callers share one ping. A caller
   * that joined a ping started before it has not had its full `timeoutMs` when that ping runs out: it
   * then pings again with what is left of its own (a server that answers again meanwhile, e.g. on the
   * connection the expired ping set aside, makes it ready at once).
   */
  async ping(timeoutMs: number): Promise<void> {
    const started = performance.now();
    const joined = this.inFlight !== undefined;
    try {
      await this.sharedPing(timeoutMs);
    } catch (error) {
      const left = Math.floor(timeoutMs - (performance.now() - started));
      if (!joined || !(error instanceof ProbeTimeout) || left <= 0) throw error;
      await this.sharedPing(left);
    }
  }

  private sharedPing(timeoutMs: number): Promise<void> {
    this.inFlight ??= this.answers(timeoutMs).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The names recorded in the migrations table `table`, read on the probe's connection. */
  async appliedMigrations(table: string, timeoutMs: number): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      `SELECT name FROM "${table.replace(/"/g, '""')}"`,
      timeoutMs,
    );
    return rows.map((r) => r.name);
  }

  /** A read on the probe's connection (readiness checks only), bounded by `timeoutMs`. */
  private async query<T>(text: string, timeoutMs: number): Promise<T[]> {
    const deadline = performance.now() + timeoutMs;
    const client = this.client ?? (await within(this.open(timeoutMs), timeoutMs));
    const answer = client.query(text);
    answer.catch(ignore);
    try {
      return (await within(answer, deadline - performance.now())).rows as T[];
    } catch (error) {
      if (error instanceof ProbeTimeout) this.setAside(client, answer);
      else this.discard(client);
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const clients = [this.client, this.stalled?.client];
    this.client = undefined;
    this.stalled = undefined;
    await Promise.all(clients.map((c) => c?.end().catch(ignore)));
  }

  private answers(timeoutMs: number): Promise<void> {
    const fresh = this.query('SELECT 1', timeoutMs).then(ignore);
    const late = this.stalled?.lateAnswer;
    if (!late) return fresh;
    return Promise.any([fresh, within(late, timeoutMs)]).catch((error: AggregateError) => {
      throw error.errors[0] as Error;
    });
  }

  /** One connection attempt at a time, shared by the pings that need it. */
  private open(statementTimeoutMs: number): Promise<Client> {
    this.connecting ??= this.connect(statementTimeoutMs).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(statementTimeoutMs: number): Promise<Client> {
    const client = new Client({
      connectionString: this.config.databaseUrl,
      connectionTimeoutMillis: this.config.dbConnectTimeoutMs,
      application_name: `bulwark-${this.config.releaseColor}-readiness`,
      statement_timeout: statementTimeoutMs,
    });
    // A connection that dies while idle (server restart, pg_terminate_backend) must not crash the
    // process: it is dropped and the next ping opens a new one.
    client.on('error', () => this.discard(client));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(ignore);
      throw error;
    }
    if (this.closed || this.client) {
      // Shut down meanwhile, or a stalled connection answered and serves again.
      await client.end().catch(ignore);
      if (this.client) return this.client;
      throw new Error('the readiness probe is closed');
    }
    this.client = client;
    return client;
  }

  private setAside(client: Client, answer: Promise<unknown>): void {
    if (this.client === client) this.client = undefined;
    if (this.stalled && this.stalled.client !== client) void this.stalled.client.end().catch(ignore);
    const lateAnswer = answer.then(
      () => {
        if (this.stalled?.client !== client) return;
        this.stalled = undefined;
        // Answered after all: the connection works again (unless a fresh one already does).
        if (this.client || this.closed) void client.end().catch(ignore);
        else this.client = client;
      },
      (error: unknown) => {
        this.discard(client);
        throw error;
      },
    );
    lateAnswer.catch(ignore);
    this.stalled = { client, lateAnswer };
  }

  private discard(client: Client): void {
    if (this.client === client) this.client = undefined;
    if (this.stalled?.client === client) this.stalled = undefined;
    void client.end().catch(ignore);
  }
}
