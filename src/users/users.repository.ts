import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { one, rows, SqlParams, whereAll } from '../database/sql';
import type { User, UserRole } from './user.entity';

export type UserRecord = Omit<User, 'passwordHash'>;
export type UserWithHash = User;

const PAGES = new Keyset('created_at', 'id');

const COLUMNS = `id, email, name, role, disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Single-purpose queries on users. Only the methods named `…WithHash` ever read the password hash. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserRecord | undefined> {
    return one<UserRecord>(manager, `SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  async findByEmailWithHash(
    email: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserWithHash | undefined> {
    return one<UserWithHash>(
      manager,
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE email = $1`,
      [email],
    );
  }

  async findByIdWithHash(id: string): Promise<UserWithHash | undefined> {
    return one<UserWithHash>(
      this.dataSource,
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE id = $1`,
      [id],
    );
  }

  /** The row, locked until the transaction ends, so read-modify-write is safe under concurrency. */
  async lockByIdWithHash(manager: EntityManager, id: string): Promise<UserWithHash | undefined> {
    return one<UserWithHash>(
      manager,
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE id = $1 FOR UPDATE`,
      [id],
    );
  }

  /**
   * Locks every enabled admin's row until the transaction ends and answers their ids. Always taken in
   * id order and before any other user row, so two transactions that each take it cannot deadlock;
   * a row changed meanwhile by a committed transaction is re-checked against the condition
   * (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED), so the
   * answer counts the admins that really remain.
   */
  async lockEnabledAdmins(manager: EntityManager): Promise<string[]> {
    const admins = await rows<{ id: string }>(
      manager,
      `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`,
    );
    return admins.map((row) => row.id);
  }

  /** Throws a unique violation (23505) when the e-mail is taken. */
  async insert(
    manager: EntityManager,
    user: { email: string; name: string; passwordHash: string; role: UserRole },
  ): Promise<UserRecord> {
    const [created] = await rows<UserRecord>(
      manager,
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [user.email, user.name, user.passwordHash, user.role],
    );
    return created;
  }

  async update(
    manager: EntityManager,
    id: string,
    changes: Partial<{ name: string; passwordHash: string; role: UserRole; disabled: boolean }>,
  ): Promise<UserRecord> {
    const columns: Record<string, string> = {
      name: 'name',
      passwordHash: 'password_hash',
      role: 'role',
      disabled: 'disabled',
    };
    const params = new SqlParams(id);
    const sets: string[] = [];
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) sets.push(`${columns[key]} = ${params.add(value)}`);
    }
    sets.push('updated_at = now()');
    const [updated] = await rows<UserRecord>(
      manager,
      `UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params.values,
    );
    return updated;
  }

  /** Whether any admin, or any user with this e-mail, exists (first start in embedded mode). */
  async anyAdminOrEmail(email: string): Promise<boolean> {
    const row = await one<{ exists: boolean }>(
      this.dataSource,
      `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' OR email = $1) AS exists`,
      [email],
    );
    return row?.exists === true;
  }

  /** Newest first; `limit + 1` rows so the caller can tell whether a next page exists. */
  async list(
    filter: { email?: string },
    limit: number,
    after?: CursorPosition,
  ): Promise<Array<UserRecord & { cursorMicros: string }>> {
    const params = new SqlParams();
    const where = whereAll([
      filter.email !== undefined && `email = ${params.add(filter.email)}`,
      PAGES.after(after, params),
    ]);
    return rows<UserRecord & { cursorMicros: string }>(
      this.dataSource,
      `SELECT ${COLUMNS}, ${PAGES.cursor} FROM users ${where} ${PAGES.orderBy} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
  }
}
