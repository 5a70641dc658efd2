import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { SessionsPurgeJob } from './sessions-purge.job';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Logins and refresh tokens: used by the auth module (sign-in, refresh, logout, the guard) and the
 * users module (ending a user's logins), both through SessionsService.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken])],
  providers: [SessionsRepository, SessionsService, SessionsPurgeJob],
  exports: [SessionsService],
})
export class SessionsModule {}
