import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded';
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
      databaseUrl: embedded?.url ?? config.databaseUrl,
      jwtSecret: config.jwtSecret ?? secrets?.jwtSecret,
    },
    embedded,
  };
}
