import { Inject, Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { housekeeping } from '../database/housekeeping';
import { ActiveColorGate } from '../background/active-color.gate';
import { APP_LOGGER } from '../core/logger.token';
import { SessionsRepository } from './sessions.repository';

/**
 * Hourly: forgets refresh tokens that expired more than a day ago (a spent token presented within
 * that day is still recognised as reuse), then the logins left with no refresh token at all — their
 * access tokens (at most a day long, ACCESS_TOKEN_TTL) ended long before. Harmless when several
 * replicas run it at once; a missed run is made up by the next.
 */
@Injectable()
export class SessionsPurgeJob {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly gate: ActiveColorGate,
  ) {}

  /** What the scheduler runs: the purge, in pods of the active colour only (ActiveColorGate). */
  @Cron(CronExpression.EVERY_HOUR, { name: 'sessions-purge' })
  async scheduledPurge(): Promise<void> {
    await this.gate.whenActive('sessions-purge', () => this.purge());
  }

  purge(): Promise<{ refreshTokens: number; sessions: number }> {
    return housekeeping(
      this.logger,
      'auth: expired refresh tokens and ended logins',
      { refreshTokens: 0, sessions: 0 },
      async () => {
        const refreshTokens = await this.sessions.purgeExpiredRefreshTokens();
        const sessions = await this.sessions.purgeEndedSessions();
        return { refreshTokens, sessions };
      },
    );
  }
}
