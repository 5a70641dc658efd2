import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { buildDataSourceOptions, ENTITY_FILES } from './data-source-options';

/**
 * The data source of the TypeORM CLI, used only to draft a migration from the entities
 * (`npm run migration:draft`, docs/database.md): it needs a migrated database at DATABASE_URL.
 * Migrations are applied and reverted by `npm run migrate` (migrate.ts), never by this CLI. The
 * service itself builds its data source in DatabaseModule.
 */
const config = loadConfig();
if (!config.databaseUrl) {
  throw new Error('The TypeORM CLI needs DATABASE_URL (for the embedded database, use `npm run migrate`).');
}

export default new DataSource({
  ...buildDataSourceOptions(config),
  entities: [ENTITY_FILES],
});
