import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { EmbeddedDatabase, EmbeddedDatabaseError, startEmbeddedPostgres } from './database/embedded';
import { oneLine } from './database/embedded-error';
import { loadOrCreateDevSecrets } from './database/dev-secrets';

export interface Runtime {
  /** The configuration with the database URL and JWT secret resolved. */
  config: AppConfig;
  /** Present in embedded mode (no DATABASE_URL). */
  embedded?: EmbeddedDatabase;
}

/**
 * Resolves what the configuration leaves open: with no DATABASE_URL an embedded PostgreSQL under
 * DATA_DIR; with no JWT_SECRET outside production a secret generated once and kept under DATA_DIR.
 */
export async function prepareRuntime(config: AppConfig, logger: Logger): Promise<Runtime> {
  const needsDevSecrets = !config.databaseUrl || !config.jwtSecret;
  const secrets = needsDevSecrets ? loadOrCreateDevSecrets(config.dataDir) : undefined;
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl && secrets) {
    embedded = await startEmbeddedPostgres(config.dataDir, secrets.postgresPassword, logger);
  }
  return {
    config: {
      ...config,
      // Through the Unix socket when there is one (cheaper per query than TCP loopback).
      databaseUrl: embedded?.socketUrl ?? embedded?.url ?? config.databaseUrl,
      jwtSecret: config.jwtSecret ?? secrets?.jwtSecret,
    },
    embedded,
  };
}

/** Exit code when the embedded database cannot be started (sysexits' EX_UNAVAILABLE). */
export const EX_UNAVAILABLE = 69;

/**
 * For the process entry points (the service, `migrate`, `admin:create`): the runtime, or one line on
 * stderr saying what failed and what to do, and exit code 69 — never a stack trace.
 */
export async function prepareRuntimeOrExit(config: AppConfig, logger: Logger): Promise<Runtime> {
  try {
    return await prepareRuntime(config, logger);
  } catch (error) {
    const line =
      error instanceof EmbeddedDatabaseError
        ? `embedded PostgreSQL: ${error.message}`
        : `embedded PostgreSQL: could not prepare DATA_DIR (${config.dataDir}): ${oneLine(
            error instanceof Error ? error.message : String(error),
          )}; check that it is a writable directory, or point DATABASE_URL at a PostgreSQL server`;
    process.stderr.write(`${line}\n`);
    // The JSON log may still hold lines in its buffer: flush it before the exit.
    logger.flush(() => process.exit(EX_UNAVAILABLE));
    setTimeout(() => process.exit(EX_UNAVAILABLE), 1000).unref();
    return new Promise<never>(() => undefined);
  }
}
