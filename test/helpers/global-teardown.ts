import { rmSync } from 'node:fs';
import type { EmbeddedDatabase } from '../../src/database/embedded';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __bulwarkTestPg?: EmbeddedDatabase };
  const embedded = holder.__bulwarkTestPg;
  if (!embedded) return;
  holder.__bulwarkTestPg = undefined;
  await embedded.stop();
  if (process.env.BULWARK_TEST_PG_DIR)
    rmSync(process.env.BULWARK_TEST_PG_DIR, { recursive: true, force: true });
  delete process.env.BULWARK_TEST_ADMIN_URL;
}
