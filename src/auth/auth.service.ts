import { Injectable, Optional } from '@nestjs/common';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import type { Actor } from '../common/decorators/actor.decorator';
import { AppError } from '../common/errors/app-error';
import { sqlState, UNIQUE_VIOLATION } from '../common/errors/database-errors';
import { TransactionRunner } from '../database/transaction-runner';
import { MetricsService } from '../metrics/metrics.service';
import { normalizeEmail } from '../common/email';
import { SESSION_REVOKED_REASONS } from '../sessions/session-revoked-reasons';
import { SessionsService } from '../sessions/sessions.service';
import { toUserView, UserView } from '../users/user.view';
import { UsersService } from '../users/users.service';
import type { LoginDto } from './dto/login.dto';
import type { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher';
import type { TokenPairView } from './token-pair.view';
import { hashRefreshToken, TokenIssuer } from './tokens';

/** Why a login failed, for the audit entry only: the client always gets the same answer. */
type LoginFailure = 'unknown_email' | 'wrong_password' | 'disabled' | 'changed_meanwhile';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenIssuer,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditWriter,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** A new user with the role `user` (never anything the body says). */
  async register(dto: RegisterDto, actor: Actor): Promise<UserView> {
    const email = normalizeEmail(dto.email);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.transactions.run(async (manager) => {
        const user = await this.users.insertAccount(manager, {
          email,
          name: dto.name,
          passwordHash,
          role: 'user',
        });
        await this.audit.record(manager, {
          action: AUDIT_ACTIONS.USER_REGISTERED,
          actorId: user.id,
          entity: AUDIT_ENTITIES.USER,
          entityId: user.id,
          requestId: actor.requestId,
          changes: { email: user.email, name: user.name, role: user.role },
        });
        return toUserView(user);
      });
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION)
        throw new AppError('EMAIL_TAKEN', 'This e-mail is already registered.');
      throw error;
    }
  }

  /**
   * A new login (session) with its first token pair. Unknown e-mail, wrong password and disabled user
   * answer exactly the same, after the same argon2 work; each failure is audited.
   */
  async login(dto: LoginDto, actor: Actor): Promise<TokenPairView> {
    const email = normalizeEmail(dto.email);
    const user = await this.users.findAccountByEmail(email);
    let failure: LoginFailure | undefined;
    if (!user) {
      await this.hasher.verifyNothing(dto.password);
      failure = 'unknown_email';
    } else if (!(await this.hasher.verify(user.passwordHash, dto.password))) {
      failure = 'wrong_password';
    } else if (user.disabled) {
      failure = 'disabled';
    }
    if (failure !== undefined || !user)
      return this.loginFailed(email, user?.id ?? null, failure ?? 'unknown_email', actor);
    const rehash = this.hasher.needsRehash(user.passwordHash)
      ? await this.hasher.hash(dto.password)
      : undefined;
    const refresh = this.tokens.newRefreshToken();
    const login = await this.transactions.run(async (manager) => {
      // The password was checked outside the transaction (argon2 is slow): it must still be the
      // stored one and the user still enabled, or a login could outlive a password change or disabling.
      const current = await this.users.lockAccount(manager, user.id);
      if (!current || current.passwordHash !== user.passwordHash || current.disabled) return undefined;
      if (rehash) await this.users.replacePasswordHash(manager, user.id, rehash);
      const sid = await this.sessions.start(manager, user.id, refresh.hash, this.tokens.refreshTokenTtl);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.AUTH_LOGIN,
        actorId: user.id,
        entity: AUDIT_ENTITIES.USER,
        entityId: user.id,
        requestId: actor.requestId,
        changes: { sessionId: sid, ip: actor.ip, passwordRehashed: rehash !== undefined },
      });
      return { sessionId: sid, role: current.role };
    });
    if (login === undefined) return this.loginFailed(email, user.id, 'changed_meanwhile', actor);
    this.metrics?.loginAttempt('success');
    return this.tokens.pair({ id: user.id, role: login.role }, login.sessionId, refresh.token);
  }

  /** Records the failed try (the failure itself is the change recorded: its own transaction), then refuses. */
  private async loginFailed(
    email: string,
    userId: string | null,
    reason: LoginFailure,
    actor: Actor,
  ): Promise<never> {
    await this.transactions.run((manager) =>
      this.audit.record(manager, {
        action: AUDIT_ACTIONS.AUTH_LOGIN_FAILED,
        actorId: null,
        entity: AUDIT_ENTITIES.USER,
        entityId: userId,
        requestId: actor.requestId,
        changes: { email, reason, ip: actor.ip },
      }),
    );
    this.metrics?.loginAttempt('failure');
    throw new AppError('INVALID_CREDENTIALS', 'The e-mail or password is wrong.');
  }

  /**
   * Rotation: the presented refresh token is spent and a new pair issued in the same login. A spent
   * token presented again revokes the whole login (RFC 9700 §4.14.2) and answers `REFRESH_TOKEN_REUSED`.
   */
  async refresh(refreshToken: string, actor: Actor): Promise<TokenPairView> {
    const hash = hashRefreshToken(refreshToken);
    const next = this.tokens.newRefreshToken();
    const outcome = await this.transactions.run(async (manager) => {
      const spent = await this.sessions.rotate(manager, hash, next.hash, this.tokens.refreshTokenTtl);
      if (spent) {
        await this.audit.record(manager, {
          action: AUDIT_ACTIONS.AUTH_REFRESHED,
          actorId: spent.userId,
          entity: AUDIT_ENTITIES.USER,
          entityId: spent.userId,
          requestId: actor.requestId,
          changes: { sessionId: spent.sessionId },
        });
        return {
          ok: true as const,
          pair: this.tokens.pair({ id: spent.userId, role: spent.role }, spent.sessionId, next.token),
        };
      }
      const known = await this.sessions.inspectRefreshToken(manager, hash);
      if (known?.spent) {
        if (await this.sessions.end(manager, known.sessionId, SESSION_REVOKED_REASONS.REFRESH_TOKEN_REUSED)) {
          await this.audit.record(manager, {
            action: AUDIT_ACTIONS.AUTH_REFRESH_TOKEN_REUSED,
            actorId: null,
            entity: AUDIT_ENTITIES.USER,
            entityId: known.userId,
            requestId: actor.requestId,
            changes: { sessionId: known.sessionId, ip: actor.ip },
          });
        }
        return { ok: false as const, code: 'REFRESH_TOKEN_REUSED' as const };
      }
      return { ok: false as const, code: 'UNAUTHENTICATED' as const };
    });
    // Thrown after the commit: the revocation of a reused token's login must stick.
    if (!outcome.ok) {
      throw outcome.code === 'REFRESH_TOKEN_REUSED'
        ? new AppError(
            'REFRESH_TOKEN_REUSED',
            'This refresh token was already used; its login has been ended.',
          )
        : new AppError('UNAUTHENTICATED', 'The refresh token is not valid.');
    }
    return outcome.pair;
  }

  /** Ends the login the refresh token belongs to (the caller's own): its access tokens stop at once. */
  async logout(refreshToken: string, actor: Actor): Promise<void> {
    const caller = actor.user;
    if (!caller) throw new AppError('UNAUTHENTICATED');
    const hash = hashRefreshToken(refreshToken);
    await this.transactions.run(async (manager) => {
      const known = await this.sessions.inspectRefreshToken(manager, hash);
      if (!known || known.userId !== caller.id)
        throw new AppError('UNAUTHENTICATED', 'The refresh token is not valid.');
      if (!(await this.sessions.end(manager, known.sessionId, SESSION_REVOKED_REASONS.LOGOUT))) return; // already ended
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.AUTH_LOGOUT,
        actorId: caller.id,
        entity: AUDIT_ENTITIES.USER,
        entityId: caller.id,
        requestId: actor.requestId,
        changes: { sessionId: known.sessionId },
      });
    });
  }
}
