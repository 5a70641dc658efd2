import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { TokenIssuer } from './tokens';

/**
 * What both the auth and users modules need (password hashing, tokens), apart so that the users
 * module can use them without a cycle with the auth module.
 */
@Module({
  providers: [PasswordHasher, TokenIssuer],
  exports: [PasswordHasher, TokenIssuer],
})
export class CredentialsModule {}
