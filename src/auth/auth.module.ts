import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CredentialsModule } from './credentials.module';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { JwtStrategy } from './jwt.strategy';

/**
 * Register, login, refresh, logout, and the guards. The guards are registered globally (APP_GUARD)
 * in AppModule, in order: authentication, roles, rate limits.
 */
@Module({
  imports: [PassportModule, CredentialsModule, SessionsModule, UsersModule],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, JwtAuthGuard, RolesGuard],
  exports: [JwtAuthGuard, RolesGuard, CredentialsModule],
})
export class AuthModule {}
