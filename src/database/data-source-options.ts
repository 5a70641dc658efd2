import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';

/** Longest time a request waits for a pooled connection before answering 503 (no hang on an outage). */
export const CONNECTION_TIMEOUT_MS = 800;

/**
 * TypeORM/pg settings shared by the service, the migration runner and the TypeORM CLI.
 * Migrations only, never `synchronize`. Every session gets `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout`, so no request can hang on the database
 * (https://www.postgresql.org/docs/current/runtime-config-client.html).
 */
export function buildDataSourceOptions(config: AppConfig, logger?: Logger): DataSourceOptions {
  if (!config.databaseUrl) throw new Error('buildDataSourceOptions: the database URL is not resolved yet');
  return {
    type: 'postgres',
    url: config.databaseUrl,
    synchronize: false,
    migrationsRun: false,
    migrations: [join(__dirname, 'migrations', '*.{js,ts}')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    // PostgreSQL 13+ has gen_random_uuid() built in: no extension, no CREATE EXTENSION right needed.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    applicationName: `bulwark-${config.releaseColor}`,
    // An idle pooled connection that dies (pg_terminate_backend, server restart) is dropped from the
    // pool and logged; it never crashes the process (TOOLING.md, "PostgreSQL").
    poolErrorHandler: (error: { message?: string; code?: string }) =>
      logger?.warn({ code: error.code, reason: error.message }, 'database pool: idle connection lost'),
    extra: {
      max: config.dbPoolMax,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      statement_timeout: config.dbStatementTimeoutMs,
      lock_timeout: Math.min(2000, config.dbStatementTimeoutMs),
      idle_in_transaction_session_timeout: config.dbStatementTimeoutMs * 2,
    },
  };
}
