import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { CursorPosition, cursorMicrosSql, cursorTimestampSql } from '../common/pagination/cursor';
import type { User, UserRole } from './user.entity';

export type UserRecord = Omit<User, 'passwordHash'>;
export type UserWithHash = User;

const COLUMNS = `id, email, name, role, disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Single-purpose queries on users. Only the methods named `…WithHash` ever read the password hash. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserRecord | undefined> {
    const rows = (await manager.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id])) as UserRecord[];
    return rows[0];
  }

  async findByEmailWithHash(
    email: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserWithHash | undefined> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE email = $1`,
      [email],
    )) as UserWithHash[];
    return rows[0];
  }

  async findByIdWithHash(id: string): Promise<UserWithHash | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE id = $1`,
      [id],
    )) as UserWithHash[];
    return rows[0];
  }

  /** The row, locked until the transaction ends, so read-modify-write is safe under concurrency. */
  async lockByIdWithHash(manager: EntityManager, id: string): Promise<UserWithHash | undefined> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM users WHERE id = $1 FOR UPDATE`,
      [id],
    )) as UserWithHash[];
    return rows[0];
  }

  /**
   * Locks every enabled admin's row until the transaction ends and answers their ids. Always taken in
   * id order and before any other user row, so two transactions that each take it cannot deadlock;
   * a row changed meanwhile by a committed transaction is re-checked against the condition
   * (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED), so the
   * answer counts the admins that really remain.
   */
  async lockEnabledAdmins(manager: EntityManager): Promise<string[]> {
    const rows = (await manager.query(
      `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`,
    )) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  /** Throws a unique violation (23505) when the e-mail is taken. */
  async insert(
    manager: EntityManager,
    user: { email: string; name: string; passwordHash: string; role: UserRole },
  ): Promise<UserRecord> {
    const rows = (await manager.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [user.email, user.name, user.passwordHash, user.role],
    )) as UserRecord[];
    return rows[0];
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
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${columns[key]} = $${params.length}`);
    }
    sets.push('updated_at = now()');
    const rows = await queryRows<UserRecord>(
      manager,
      `UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params,
    );
    return rows[0];
  }

  /** Newest first; `limit + 1` rows so the caller can tell whether a next page exists. */
  async list(
    filter: { email?: string },
    limit: number,
    after?: CursorPosition,
  ): Promise<Array<UserRecord & { cursorMicros: string }>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.email !== undefined) {
      params.push(filter.email);
      where.push(`email = $${params.length}`);
    }
    if (after) {
      params.push(after.atMicros, after.id);
      where.push(
        `(created_at, id) < (${cursorTimestampSql(`$${params.length - 1}`)}, $${params.length}::uuid)`,
      );
    }
    params.push(limit + 1);
    return (await this.dataSource.query(
      `SELECT ${COLUMNS}, ${cursorMicrosSql('created_at')} AS "cursorMicros" FROM users
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    )) as Array<UserRecord & { cursorMicros: string }>;
  }
}
