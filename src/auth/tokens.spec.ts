import * as jwt from 'jsonwebtoken';
import { testConfig } from '../config/config';
import { hashRefreshToken, TokenIssuer } from './tokens';

const secret = 'unit-test-secret-unit-test-secret-unit-test';

describe('TokenIssuer', () => {
  const issuer = new TokenIssuer(testConfig({ jwtSecret: secret, accessTokenTtl: 900 }));

  it('signs HS256 access tokens with sub, role, sid, iat and exp = iat + ACCESS_TOKEN_TTL', () => {
    const token = issuer.signAccessToken({ id: 'u-1', role: 'admin' }, 's-1');
    const decoded = jwt.verify(token, secret, { algorithms: ['HS256'], complete: true });
    expect(decoded.header.alg).toBe('HS256');
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({ sub: 'u-1', role: 'admin', sid: 's-1' });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('makes 256-bit random refresh tokens and stores only their SHA-256', () => {
    const a = issuer.newRefreshToken();
    const b = issuer.newRefreshToken();
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.hash).toEqual(hashRefreshToken(a.token));
    expect(a.hash).toHaveLength(32);
    expect(a.hash.toString('utf8')).not.toContain(a.token);
  });

  it('answers the contract pair', () => {
    expect(issuer.pair({ id: 'u', role: 'user' }, 's', 'r')).toEqual({
      accessToken: expect.any(String),
      refreshToken: 'r',
      tokenType: 'Bearer',
      expiresIn: 900,
    });
  });
});
