import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { boundedClient, boundedDriver } from './bounded-driver';
import { MIGRATIONS } from './migration-list';
import { databaseWaitBudgetMs } from './wait-budget';

/**
 * TypeORM/pg settings shared by the service, the migration runner and the TypeORM CLI.
 * Migrations only, never `synchronize`. Every session gets `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout` (https://www.postgresql.org/docs/current/runtime-config-client.html);
 * a server that does not answer at all cannot enforce them, so the client bounds every wait too
 * (bounded-driver.ts, wait-budget.ts): no request waits on the database longer than the statement
 * timeout plus a small margin (docs/failure-behaviour.md).
 *
 * pg-pool uses one `connectionTimeoutMillis` both for waiting in its queue and for opening a
 * connection (https://node-postgres.com/apis/pool). A burst of requests against a healthy database
 * must be allowed to queue for longer than a dead database may take to refuse, so the pool gets the
 * queue bound and its clients get the shorter `DB_CONNECT_TIMEOUT_MS` for the connect itself.
 */
/**
 * Every entity of the service (one per table, exactly as the migrations make it). The service loads
 * them module by module (`TypeOrmModule.forFeature`); the TypeORM CLI and the schema-diff spec by
 * this pattern.
 */
export const ENTITY_FILES = join(__dirname, '..', '**', '*.entity.{js,ts}');

export function buildDataSourceOptions(config: AppConfig, logger?: Logger): DataSourceOptions {
  if (!config.databaseUrl) throw new Error('buildDataSourceOptions: the database URL is not resolved yet');
  const budgetMs = databaseWaitBudgetMs(config.dbStatementTimeoutMs);
  return {
    type: 'postgres',
    url: config.databaseUrl,
    synchronize: false,
    migrationsRun: false,
    migrations: [...MIGRATIONS],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    // PostgreSQL 13+ has gen_random_uuid() built in: no extension, no CREATE EXTENSION right needed.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    applicationName: `bulwark-${config.releaseColor}`,
    // An idle pooled connection that dies (pg_terminate_backend, server restart) is dropped from the
    // pool and logged; it never crashes the process (docs/database.md, "Notes on pg and TypeORM").
    poolErrorHandler: (error: { message?: string; code?: string }) =>
      logger?.warn({ code: error.code, reason: error.message }, 'database pool: idle connection lost'),
    driver: boundedDriver(budgetMs),
    extra: {
      max: config.dbPoolMax,
      Client: boundedClient(config.dbConnectTimeoutMs, budgetMs),
      // Waiting for a free connection is bounded by the statement budget: a queue, not a hang.
      connectionTimeoutMillis: config.dbStatementTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      statement_timeout: config.dbStatementTimeoutMs,
      lock_timeout: Math.min(2000, config.dbStatementTimeoutMs),
      idle_in_transaction_session_timeout: config.dbStatementTimeoutMs * 2,
    },
  };
}
