import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthenticatedUser } from '../common/auth-user';
import { isConnectionLost } from '../common/errors/database-errors';
import { affected, one, rows } from '../database/sql';
import type { SessionRevokedReason } from './session-revoked-reasons';

const CALLER_QUERY_ATTEMPTS = 3;
/** Single-purpose queries on logins (sessions) and their refresh tokens. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The one query of every authenticated request: the login is live and its user is not disabled.
   * The role comes from the user row, never from the token. No cache, so revocation is immediate.
   */
  async findCaller(sessionId: string, userId: string): Promise<AuthenticatedUser | undefined> {
    // A read of nothing but facts: retried at once when the pooled connection turns out to have been
    // killed under it (a database restart or failover leaves such connections in the pool).
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.findCallerOnce(sessionId, userId);
      } catch (error) {
        if (attempt >= CALLER_QUERY_ATTEMPTS || !isConnectionLost(error)) throw error;
      }
    }
  }

  private async findCallerOnce(sessionId: string, userId: string): Promise<AuthenticatedUser | undefined> {
    const row = await one<{ role: AuthenticatedUser['role'] }>(
      this.dataSource,
      `SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND NOT u.disabled`,
      [sessionId, userId],
    );
    return row ? { id: userId, role: row.role, sessionId } : undefined;
  }

  async create(manager: EntityManager, userId: string): Promise<string> {
    const [created] = await rows<{ id: string }>(
      manager,
      'INSERT INTO sessions (user_id) VALUES ($1) RETURNING id',
      [userId],
    );
    return created.id;
  }

  async addRefreshToken(
    manager: EntityManager,
    sessionId: string,
    tokenHash: Buffer,
    ttlSeconds: number,
  ): Promise<void> {
    await affected(
      manager,
      `INSERT INTO refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, now() + $3 * interval '1 second')`,
      [sessionId, tokenHash, ttlSeconds],
    );
  }

  /**
   * Spends a refresh token if, and only if, it is unspent, unexpired, its login is live and its user
   * enabled. The conditional UPDATE makes rotation race-safe: of two concurrent uses exactly one
   * gets the row (the other waits for the row lock, then sees `used_at` set).
   */
  async spendRefreshToken(
    manager: EntityManager,
    tokenHash: Buffer,
  ): Promise<{ sessionId: string; userId: string; role: AuthenticatedUser['role'] } | undefined> {
    return one<{ sessionId: string; userId: string; role: AuthenticatedUser['role'] }>(
      manager,
      `UPDATE refresh_tokens rt SET used_at = now()
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1 AND rt.used_at IS NULL AND rt.expires_at > now()
          AND s.id = rt.session_id AND s.revoked_at IS NULL AND NOT u.disabled
      RETURNING rt.session_id AS "sessionId", u.id AS "userId", u.role`,
      [tokenHash],
    );
  }

  /** What is known of a refresh token that could not be spent. */
  async inspectRefreshToken(
    manager: EntityManager,
    tokenHash: Buffer,
  ): Promise<{ sessionId: string; userId: string; spent: boolean; sessionRevoked: boolean } | undefined> {
    return one<{ sessionId: string; userId: string; spent: boolean; sessionRevoked: boolean }>(
      manager,
      `SELECT rt.session_id AS "sessionId", s.user_id AS "userId", rt.used_at IS NOT NULL AS spent, s.revoked_at IS NOT NULL AS "sessionRevoked"
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1`,
      [tokenHash],
    );
  }

  /** Ends one login (its access tokens and refresh tokens at once). True when it was live. */
  async revoke(manager: EntityManager, sessionId: string, reason: SessionRevokedReason): Promise<boolean> {
    const ended = await affected(
      manager,
      'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
      [sessionId, reason],
    );
    return ended > 0;
  }

  /** Ends every login of a user (password change, disabling). Returns how many were live. */
  async revokeAllOfUser(
    manager: EntityManager,
    userId: string,
    reason: SessionRevokedReason,
  ): Promise<number> {
    return affected(
      manager,
      'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL',
      [userId, reason],
    );
  }

  /** Refresh tokens that expired more than a day ago; answers how many were deleted. */
  purgeExpiredRefreshTokens(): Promise<number> {
    return affected(
      this.dataSource,
      `DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'`,
    );
  }

  /** Logins older than a day left with no refresh token at all; answers how many were deleted. */
  purgeEndedSessions(): Promise<number> {
    return affected(
      this.dataSource,
      `DELETE FROM sessions s
        WHERE s.created_at < now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.id)`,
    );
  }
}
