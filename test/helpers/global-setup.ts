import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EmbeddedDatabaseError, startEmbeddedPostgres } from '../../src/database/embedded';

/**
 * One PostgreSQL server for the whole run: `TEST_DATABASE_URL` (any server, a maintenance database URL)
 * when given, otherwise an embedded PostgreSQL in a temporary folder. Every spec creates its own
 * databases on it (test/helpers/database.ts) and drops them; nothing is shared between specs.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.BULWARK_TEST_ADMIN_URL) return; // already set up by another jest project of this run
  if (process.env.TEST_DATABASE_URL) {
    process.env.BULWARK_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-test-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user, which must reach the folder
  let embedded;
  try {
    embedded = await startEmbeddedPostgres(
      dir,
      'test-password',
      pino({ level: 'warn' }),
      'bulwark_test_template',
    );
  } catch (error) {
    if (!(error instanceof EmbeddedDatabaseError)) throw error;
    // One line that says what failed and what to do, as `npm start` does; no stack.
    process.stderr.write(`test PostgreSQL: ${error.message} (or set TEST_DATABASE_URL)\n`);
    process.exit(69);
  }
  process.env.BULWARK_TEST_ADMIN_URL = embedded.adminUrl;
  process.env.BULWARK_TEST_PG_DIR = dir;
  (globalThis as { __bulwarkTestPg?: typeof embedded }).__bulwarkTestPg = embedded;
}
