import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../config/config';
import { createLogger } from '../logging/logger';
import { prepareRuntimeOrExit } from '../runtime';
import { exitAfterFlush } from '../shutdown';
import { buildDataSourceOptions } from './data-source-options';
import { revertLastMigration, runMigrations } from './migrator';

/**
 * `npm run migrate` / `node dist/database/migrate.js` (the Helm hook Job): applies pending
 * migrations to the configured database (or the embedded one) and exits 0, or 1 on failure.
 * With `--revert` (`npm run migration:revert`) it undoes the last applied migration instead. Either
 * way under the migration advisory lock, with `lock_timeout` and bounded retries (migrator.ts): the
 * one migration runner.
 * Needs only DATABASE_URL: it signs nothing, so JWT_SECRET is not required (the chart's hook Job
 * runs before the release's Secret exists on a first install).
 */
async function migrate(): Promise<void> {
  const config = loadConfigOrExit(undefined, { requireJwtSecret: false });
  const logger = createLogger(config);
  // With a DATABASE_URL nothing is left to resolve, and nothing may be written under DATA_DIR (the
  // Job's root filesystem is read-only).
  const runtime = config.databaseUrl
    ? { config, embedded: undefined }
    : await prepareRuntimeOrExit(config, logger);
  const dataSource = new DataSource(buildDataSourceOptions(runtime.config, logger));
  let code = 0;
  try {
    await dataSource.initialize();
    if (process.argv.includes('--revert')) {
      const reverted = await revertLastMigration(dataSource, logger, runtime.config.migrations);
      logger.info({ reverted: reverted ?? null }, reverted ? 'migration reverted' : 'no migration to revert');
    } else {
      const applied = await runMigrations(dataSource, logger, runtime.config.migrations);
      logger.info(
        { applied: applied.length },
        applied.length ? 'migrations applied' : 'database schema is up to date',
      );
    }
  } catch (error) {
    logger.error({ err: error }, 'migration failed');
    code = 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await runtime.embedded?.stop();
  }
  exitAfterFlush(logger, code);
}

void migrate();
