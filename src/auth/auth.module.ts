import { SessionsPurgeJob } from './sessions-purge.job';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CredentialsModule } from './credentials.module';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { JwtStrategy } from './jwt.strategy';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';

/**
 * Register, login, refresh, logout, and the guards. The guards are registered globally (APP_GUARD)
 * in AppModule, in order: authentication, roles, rate limits.
 */
@Module({
  imports: [
    PassportModule,
    CredentialsModule,
    UsersModule,
    TypeOrmModule.forFeature([Session, RefreshToken]),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, JwtAuthGuard, RolesGuard, SessionsPurgeJob],
  exports: [JwtAuthGuard, RolesGuard, CredentialsModule],
})
export class AuthModule {}
