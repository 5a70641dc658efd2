import type { DataSource } from 'typeorm';
import { ensureAdmin, FIRST_ADMIN_EMAIL, randomAdminPassword } from './admin-bootstrap';
import { UsersRepository } from './users.repository';

/**
 * First start in embedded mode (docs/identity.md, "Administrators"): an admin with a random password, printed once
 * on standard output, as a plain line (not through the logger, whose redaction would hide it).
 */
export async function createFirstAdmin(
  dataSource: DataSource,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  // Only while the database has no admin at all and the bootstrap account was never made: an
  // existing account (even a demoted one) is never touched again.
  if (await new UsersRepository(dataSource).anyAdminOrEmail(FIRST_ADMIN_EMAIL)) return;
  const password = randomAdminPassword();
  const outcome = await ensureAdmin(dataSource, {
    email: FIRST_ADMIN_EMAIL,
    password: async () => password,
    requestId: 'bootstrap:first-admin',
  });
  if (outcome === 'created') {
    out.write(
      `FIRST ADMIN (shown once): e-mail ${FIRST_ADMIN_EMAIL} password ${password} — change it with PATCH /v1/users/me\n`,
    );
  }
}
