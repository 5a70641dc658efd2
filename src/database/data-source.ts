import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { buildDataSourceOptions } from './data-source-options';

/**
 * The data source of the TypeORM CLI (`npm run migration:generate|run|revert`), which needs a
 * running database: set DATABASE_URL. The service itself builds its data source in DatabaseModule.
 */
const config = loadConfig();
if (!config.databaseUrl) {
  throw new Error('The TypeORM CLI needs DATABASE_URL (for the embedded database, use `npm run migrate`).');
}

export default new DataSource({
  ...buildDataSourceOptions(config),
  entities: [join(__dirname, '..', '**', '*.entity.{js,ts}')],
});
