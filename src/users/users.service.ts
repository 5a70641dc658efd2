import { Injectable } from '@nestjs/common';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import { PasswordHasher } from '../auth/password-hasher';
import { SESSION_REVOKED_REASONS } from '../sessions/session-revoked-reasons';
import { SessionsService } from '../sessions/sessions.service';
import { Actor, requireUser } from '../common/decorators/actor.decorator';
import { AppError, NotFoundError } from '../common/errors/app-error';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '../common/pagination/cursor';
import { isUuid } from '../common/uuid';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import type { AdminUpdateUserDto } from './dto/admin-update-user.dto';
import type { ListUsersDto } from './dto/list-users.dto';
import type { UpdateMeDto } from './dto/update-me.dto';
import { normalizeEmail } from '../common/email';
import { toUserView, UserView } from './user.view';
import type { UserRole } from './user.entity';
import { UserRecord, UsersRepository, UserWithHash } from './users.repository';

/** Field-by-field `{from, to}` of what really changed. */
function diff<T extends object>(
  before: T,
  after: Partial<T>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after) as Array<[keyof T & string, unknown]>) {
    if (to !== undefined && before[key] !== to) out[key] = { from: before[key], to };
  }
  return out;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditWriter,
  ) {}

  // The account as sign-in and registration (the auth module) read and write it, in their transaction.

  /** Throws a unique violation (23505) when the e-mail is taken. */
  insertAccount(
    manager: EntityManager,
    user: { email: string; name: string; passwordHash: string; role: UserRole },
  ): Promise<UserRecord> {
    return this.users.insert(manager, user);
  }

  /** The account of an e-mail (already normalised), with its password hash. */
  findAccountByEmail(email: string): Promise<UserWithHash | undefined> {
    return this.users.findByEmailWithHash(email);
  }

  /** The account with its password hash, locked until the transaction ends. */
  lockAccount(manager: EntityManager, id: string): Promise<UserWithHash | undefined> {
    return this.users.lockByIdWithHash(manager, id);
  }

  /** Stores a new hash of the same password (argon2 parameters raised): not a password change. */
  async replacePasswordHash(manager: EntityManager, id: string, passwordHash: string): Promise<void> {
    await this.users.update(manager, id, { passwordHash });
  }

  async me(actor: Actor): Promise<UserView> {
    const user = await this.users.findById(requireUser(actor).id);
    if (!user) throw new NotFoundError('user');
    return toUserView(user);
  }

  /**
   * Name and/or password of the caller. A new password needs the current one and ends every login
   * of the user, this one included (docs/identity.md, "Logins").
   */
  async updateMe(actor: Actor, dto: UpdateMeDto): Promise<UserView> {
    const caller = requireUser(actor);
    // argon2 is slow: the current password is checked and the new one hashed before the transaction,
    // so no row lock is held meanwhile; inside it, the hash checked must still be the stored one.
    let newHash: string | undefined;
    let checkedHash: string | undefined;
    if (dto.password !== undefined) {
      const current = await this.users.findByIdWithHash(caller.id);
      if (
        !current ||
        dto.currentPassword === undefined ||
        !(await this.hasher.verify(current.passwordHash, dto.currentPassword))
      ) {
        throw new AppError('CURRENT_PASSWORD_INVALID', 'A new password needs the current password.');
      }
      checkedHash = current.passwordHash;
      newHash = await this.hasher.hash(dto.password);
    }
    return this.transactions.run(async (manager) => {
      const before = await this.users.lockByIdWithHash(manager, caller.id);
      if (!before) throw new NotFoundError('user');
      if (checkedHash !== undefined && before.passwordHash !== checkedHash) {
        throw new AppError('CURRENT_PASSWORD_INVALID', 'A new password needs the current password.');
      }
      const changes: Record<string, unknown> = diff(before, { name: dto.name });
      if (newHash === undefined && Object.keys(changes).length === 0) return toUserView(before);
      const after = await this.users.update(manager, caller.id, { name: dto.name, passwordHash: newHash });
      if (newHash !== undefined) {
        changes.passwordChanged = true;
        changes.sessionsRevoked = await this.sessions.endAllOfUser(
          manager,
          caller.id,
          SESSION_REVOKED_REASONS.PASSWORD_CHANGED,
        );
      }
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.USER_UPDATED,
        actorId: caller.id,
        entity: AUDIT_ENTITIES.USER,
        entityId: caller.id,
        requestId: actor.requestId,
        changes,
      });
      return toUserView(after);
    });
  }

  async list(query: ListUsersDto): Promise<Page<UserView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const rows = await this.users.list(
      { email: query.email !== undefined ? normalizeEmail(query.email) : undefined },
      limit,
      after,
    );
    return toPage(rows, limit, toUserView);
  }

  async get(id: string): Promise<UserView> {
    const user = isUuid(id) ? await this.users.findById(id) : undefined;
    if (!user) throw new NotFoundError('user');
    return toUserView(user);
  }

  /**
   * Admin: name, role, disabled. Disabling ends every login of the user at once. The last enabled
   * admin can be neither demoted nor disabled (by itself or by another admin being demoted at the
   * same moment): 409 `LAST_ADMIN`, nothing changes.
   */
  async adminUpdate(actor: Actor, id: string, dto: AdminUpdateUserDto): Promise<UserView> {
    const caller = requireUser(actor);
    if (!isUuid(id)) throw new NotFoundError('user');
    const mayRemoveAnAdmin = dto.role === 'user' || dto.disabled === true;
    return this.transactions.run(async (manager) => {
      // Changes that can take an admin away serialise on the enabled admins' rows, locked before the
      // target's: of two admins demoting each other at once, the second sees the first's commit.
      const admins = mayRemoveAnAdmin ? await this.users.lockEnabledAdmins(manager) : [];
      const before = await this.users.lockByIdWithHash(manager, id);
      if (!before) throw new NotFoundError('user');
      const changes: Record<string, unknown> = diff(before, {
        name: dto.name,
        role: dto.role,
        disabled: dto.disabled,
      });
      if (Object.keys(changes).length === 0) return toUserView(before);
      const staysEnabledAdmin = (dto.role ?? before.role) === 'admin' && !(dto.disabled ?? before.disabled);
      if (admins.includes(id) && !staysEnabledAdmin && admins.length === 1) {
        throw new AppError(
          'LAST_ADMIN',
          'This is the last enabled admin: make another user an admin before demoting or disabling this one.',
        );
      }
      const after = await this.users.update(manager, id, {
        name: dto.name,
        role: dto.role,
        disabled: dto.disabled,
      });
      if (dto.disabled === true && !before.disabled) {
        changes.sessionsRevoked = await this.sessions.endAllOfUser(
          manager,
          id,
          SESSION_REVOKED_REASONS.USER_DISABLED,
        );
      }
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.USER_UPDATED,
        actorId: caller.id,
        entity: AUDIT_ENTITIES.USER,
        entityId: id,
        requestId: actor.requestId,
        changes,
      });
      return toUserView(after);
    });
  }
}
