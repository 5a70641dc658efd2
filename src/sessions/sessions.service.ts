import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthenticatedUser } from '../common/auth-user';
import type { SessionRevokedReason } from './session-revoked-reasons';
import { SessionsRepository } from './sessions.repository';

/**
 * Logins (sessions) and their rotating refresh tokens, as the auth and users modules use them: auth
 * starts, refreshes and ends logins and checks each request's login; users end every login of a user
 * whose password changes or who is disabled. Every write joins the caller's transaction.
 */
@Injectable()
export class SessionsService {
  constructor(private readonly sessions: SessionsRepository) {}

  /** The caller of an access token when its login is live and its user enabled (role from the user row). */
  findCaller(sessionId: string, userId: string): Promise<AuthenticatedUser | undefined> {
    return this.sessions.findCaller(sessionId, userId);
  }

  /** A new login of `userId` with its first refresh token (stored as its digest); answers the login's id. */
  async start(
    manager: EntityManager,
    userId: string,
    refreshTokenHash: Buffer,
    ttlSeconds: number,
  ): Promise<string> {
    const sessionId = await this.sessions.create(manager, userId);
    await this.sessions.addRefreshToken(manager, sessionId, refreshTokenHash, ttlSeconds);
    return sessionId;
  }

  /**
   * Spends a refresh token and gives its login the next one, or answers undefined when the token
   * cannot be spent (unknown, spent, expired, login ended, user disabled).
   */
  async rotate(
    manager: EntityManager,
    spentHash: Buffer,
    nextHash: Buffer,
    ttlSeconds: number,
  ): Promise<{ sessionId: string; userId: string; role: AuthenticatedUser['role'] } | undefined> {
    const spent = await this.sessions.spendRefreshToken(manager, spentHash);
    if (spent) await this.sessions.addRefreshToken(manager, spent.sessionId, nextHash, ttlSeconds);
    return spent;
  }

  /** What is known of a refresh token that could not be spent. */
  inspectRefreshToken(
    manager: EntityManager,
    tokenHash: Buffer,
  ): Promise<{ sessionId: string; userId: string; spent: boolean; sessionRevoked: boolean } | undefined> {
    return this.sessions.inspectRefreshToken(manager, tokenHash);
  }

  /** Ends one login. True when it was live. */
  end(manager: EntityManager, sessionId: string, reason: SessionRevokedReason): Promise<boolean> {
    return this.sessions.revoke(manager, sessionId, reason);
  }

  /** Ends every login of a user; answers how many were live. */
  endAllOfUser(manager: EntityManager, userId: string, reason: SessionRevokedReason): Promise<number> {
    return this.sessions.revokeAllOfUser(manager, userId, reason);
  }
}
