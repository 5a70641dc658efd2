import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/**
 * The readiness ping's own connection, outside the pool. Through the pool, a burst that keeps every
 * pooled connection busy would make the ping wait in the pool's queue and time out, and an
 * orchestrator would then pull every busy replica out of rotation at once: readiness must say whether
 * the database answers, not whether the pool is momentarily full. One connection per process, opened
 * on first use, dropped on any failure and opened again by the next ping.
 */
@Injectable()
export class DatabaseProbe implements OnModuleDestroy {
  private client: Client | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Resolves when `SELECT 1` answered within `timeoutMs`; concurrent callers share one ping. */
  ping(timeoutMs: number): Promise<void> {
    this.inFlight ??= this.query('SELECT 1', timeoutMs)
      .then(() => undefined)
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** A read on the probe's connection (readiness checks only), bounded by `timeoutMs`. */
  async query<T>(text: string, timeoutMs: number): Promise<T[]> {
    try {
      const client = this.client ?? (await this.connect(timeoutMs));
      const result = await client.query({ text, query_timeout: timeoutMs } as { text: string });
      return result.rows as T[];
    } catch (error) {
      await this.drop();
      throw error;
    }
  }

  private async connect(timeoutMs: number): Promise<Client> {
    const client = new Client({
      connectionString: this.config.databaseUrl,
      connectionTimeoutMillis: Math.min(timeoutMs, this.config.dbConnectTimeoutMs),
      application_name: `bulwark-${this.config.releaseColor}-readiness`,
      statement_timeout: timeoutMs,
    });
    // A connection that dies while idle (server restart, pg_terminate_backend) must not crash the
    // process: it is dropped and the next ping opens a new one.
    client.on('error', () => void this.drop());
    this.client = client;
    await client.connect();
    return client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.drop();
  }
}
