import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppError } from '../common/errors/app-error';
import { isUuid } from '../common/uuid';
import { ACCESS_TOKEN_ALGORITHM } from './tokens';

export const JWT_STRATEGY = 'bulwark-jwt';

/**
 * The guard puts the verification key on the request under this symbol. Passport keeps strategies in
 * a process-wide registry, so a strategy that held a key (or a database handle) of its own would be
 * shared by every application instance of the process; this one holds nothing.
 */
export const JWT_SECRET_OF_REQUEST = Symbol('bulwark.jwtSecret');

/** Claims of a verified access token, before the session check. */
export interface AccessClaims {
  sub: string;
  sid: string;
}

/**
 * passport-jwt verifying with HS256 only (`alg: none`, HS512, RS256… are refused by jsonwebtoken's
 * `algorithms` list) and an unexpired `exp`; `validate` additionally requires `exp` to be present,
 * which jsonwebtoken alone does not (https://github.com/auth0/node-jsonwebtoken#jwtverifytoken-secretorpublickey-options-callback),
 * and refuses a `crit` header: it names extensions the recipient must understand, and Bulwark
 * understands none, so RFC 7515 §4.1.11 says such a token must be rejected (jsonwebtoken ignores
 * `crit`). jsonwebtoken's `complete` option hands `validate` the header with the payload.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (
        request: FastifyRequest,
        _rawToken: string,
        done: (error: Error | null, secret?: string | Buffer) => void,
      ) => {
        const secret = (request as unknown as Record<symbol, KeyObject | undefined>)[JWT_SECRET_OF_REQUEST];
        // A KeyObject (jsonwebtoken 9 takes one; passport-jwt's typings predate it), see JwtAuthGuard.
        if (secret) done(null, secret as unknown as Buffer);
        else done(new Error('JWT secret missing on the request'));
      },
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      ignoreExpiration: false,
      jsonWebTokenOptions: { complete: true },
    });
  }

  validate(token: unknown): AccessClaims {
    const { header, payload } = (token ?? {}) as { header?: unknown; payload?: unknown };
    if (typeof header !== 'object' || header === null || 'crit' in header) {
      throw new AppError('UNAUTHENTICATED', 'The access token is not valid.');
    }
    const claims = payload as Record<string, unknown> | null;
    if (
      typeof claims !== 'object' ||
      claims === null ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      !isUuid(claims.sub) ||
      !isUuid(claims.sid)
    ) {
      throw new AppError('UNAUTHENTICATED', 'The access token is not valid.');
    }
    return { sub: claims.sub, sid: claims.sid };
  }
}
