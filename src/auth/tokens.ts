import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as jwt from 'jsonwebtoken';
import type { AuthenticatedUser } from '../common/auth-user';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { TOKEN_TYPE, TokenPairView } from './token-pair.view';

/** The only algorithm that signs or verifies access tokens. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256' as const;

/** SHA-256 of a refresh token: enough for a 256-bit random value (no dictionary to attack). */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

@Injectable()
export class TokenIssuer {
  /**
   * The secret as a KeyObject, made once, as the guard verifies with: given a string, jsonwebtoken
   * turns it into a key (`createSecretKey`/`createPrivateKey` attempts) on every signature.
   */
  private key?: KeyObject;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get accessTokenTtl(): number {
    return this.config.accessTokenTtl;
  }

  get refreshTokenTtl(): number {
    return this.config.refreshTokenTtl;
  }

  /** `sub`, `role`, `sid`, `iat` and `exp` (docs/identity.md, "Tokens"). */
  signAccessToken(user: Pick<AuthenticatedUser, 'id' | 'role'>, sessionId: string): string {
    if (!this.config.jwtSecret) throw new Error('JWT secret not resolved');
    this.key ??= createSecretKey(Buffer.from(this.config.jwtSecret, 'utf8'));
    return jwt.sign({ role: user.role, sid: sessionId }, this.key, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      subject: user.id,
      expiresIn: this.config.accessTokenTtl,
    });
  }

  /** A random opaque refresh token (256 bits) and the digest that alone is stored. */
  newRefreshToken(): { token: string; hash: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  }

  pair(user: Pick<AuthenticatedUser, 'id' | 'role'>, sessionId: string, refreshToken: string): TokenPairView {
    return {
      accessToken: this.signAccessToken(user, sessionId),
      refreshToken,
      tokenType: TOKEN_TYPE,
      expiresIn: this.config.accessTokenTtl,
    };
  }
}
