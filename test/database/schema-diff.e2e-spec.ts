import { DataSource } from 'typeorm';
import pino from 'pino';
import { testConfig } from '../../src/config/config';
import { buildDataSourceOptions, ENTITY_FILES } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrator';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/**
 * The entities are the schema the migrations make, exactly (docs/database.md, "Entities"): on a
 * database migrated by the service's own runner, TypeORM's schema builder finds nothing to change
 * (what `migration:generate` would write is empty), and every table has its entity.
 */
describe('entities and migrations (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig({ databaseUrl: db.url, jwtSecret: 'x'.repeat(48) });
    dataSource = new DataSource({ ...buildDataSourceOptions(config), entities: [ENTITY_FILES] });
    await dataSource.initialize();
    await runMigrations(dataSource, pino({ level: 'silent' }), config.migrations);
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('gives TypeORM no difference to write: no up and no down query', async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((q) => q.query)).toEqual([]);
    expect(diff.downQueries.map((q) => q.query)).toEqual([]);
  });

  it('has an entity for every table and a table for every entity', async () => {
    const tables = (
      (await dataSource.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`,
      )) as Array<{ tablename: string }>
    ).map((t) => t.tablename);
    const entities = dataSource.entityMetadatas.map((m) => m.tableName).sort();
    expect(entities).toEqual(tables);
    expect(tables).toHaveLength(11);
  });

  it.each([
    [
      'an index',
      'CREATE INDEX products_name_idx ON products (name)',
      'DROP INDEX products_name_idx',
      /products_name_idx/,
    ],
    [
      'a check',
      'ALTER TABLE products ADD CONSTRAINT products_extra_check CHECK (stock < 1000000)',
      'ALTER TABLE products DROP CONSTRAINT products_extra_check',
      /products_extra_check/,
    ],
    [
      'a nullable column',
      'ALTER TABLE products ALTER COLUMN name DROP NOT NULL',
      'ALTER TABLE products ALTER COLUMN name SET NOT NULL',
      /"name"/,
    ],
    [
      'a default',
      `ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'confirmed'`,
      'ALTER TABLE orders ALTER COLUMN status DROP DEFAULT',
      /"status"/,
    ],
  ])('would report a difference the entities do not declare: %s', async (_what, change, undo, reported) => {
    await dataSource.query(change);
    try {
      const diff = await dataSource.driver.createSchemaBuilder().log();
      expect(diff.upQueries.map((q) => q.query).join('\n')).toMatch(reported);
    } finally {
      await dataSource.query(undo);
    }
  });
});
