import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { standaloneAuditWriter } from '../audit/audit.writer';
import { PasswordHasher } from '../auth/password-hasher';
import { PASSWORD_MAX, PASSWORD_MIN } from './password-policy';
import { normalizeEmail } from '../common/email';
import { UsersRepository } from './users.repository';

export const FIRST_ADMIN_EMAIL = 'admin@bulwark.local';

export type AdminOutcome = 'created' | 'promoted' | 'already_admin';

export interface EnsureAdminInput {
  email: string;
  /** Asked only when the account has to be created (an existing user keeps its password). */
  password: () => Promise<string>;
  name?: string;
  /** Recorded as the audit entry's request id, e.g. `cli:admin-create`. */
  requestId: string;
}

export function randomAdminPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    return `the password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`;
  }
  return undefined;
}

/**
 * Creates an admin, or promotes the existing user with that e-mail, with its audit entry in the same
 * transaction. Works on a bare DataSource: used by the CLI (`npm run admin:create`) and by the first
 * start in embedded mode, neither of which builds the HTTP application.
 */
export async function ensureAdmin(dataSource: DataSource, input: EnsureAdminInput): Promise<AdminOutcome> {
  const email = normalizeEmail(input.email);
  const users = new UsersRepository(dataSource);
  const audit = standaloneAuditWriter(dataSource);
  const existing = await users.findByEmailWithHash(email);
  let passwordHash: string | undefined;
  if (!existing) {
    const password = await input.password();
    const problem = passwordProblem(password);
    if (problem) throw new Error(problem);
    passwordHash = await new PasswordHasher().hash(password);
  }
  return dataSource.transaction(async (manager) => {
    const current = await users.findByEmailWithHash(email, manager);
    if (!current) {
      if (!passwordHash) throw new Error(`the user ${email} disappeared meanwhile; run the command again`);
      const user = await users.insert(manager, {
        email,
        name: input.name ?? 'Administrator',
        passwordHash,
        role: 'admin',
      });
      await audit.record(manager, {
        action: AUDIT_ACTIONS.USER_CREATED,
        actorId: null,
        entity: AUDIT_ENTITIES.USER,
        entityId: user.id,
        requestId: input.requestId,
        changes: { email, name: user.name, role: 'admin' },
      });
      return 'created';
    }
    if (current.role === 'admin') return 'already_admin';
    await users.update(manager, current.id, { role: 'admin' });
    await audit.record(manager, {
      action: AUDIT_ACTIONS.USER_UPDATED,
      actorId: null,
      entity: AUDIT_ENTITIES.USER,
      entityId: current.id,
      requestId: input.requestId,
      changes: { role: { from: current.role, to: 'admin' } },
    });
    return 'promoted';
  });
}
