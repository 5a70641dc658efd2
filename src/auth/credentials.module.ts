import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { SessionsRepository } from './sessions.repository';
import { TokenIssuer } from './tokens';

/**
 * What both the auth and users modules need (hashing, logins, tokens), apart so that the users
 * module can end logins (password change, disabling) without a cycle with the auth module.
 */
@Module({
  providers: [PasswordHasher, SessionsRepository, TokenIssuer],
  exports: [PasswordHasher, SessionsRepository, TokenIssuer],
})
export class CredentialsModule {}
