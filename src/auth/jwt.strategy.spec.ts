import { AppError } from '../common/errors/app-error';
import { JwtStrategy } from './jwt.strategy';

const sub = '11111111-1111-4111-8111-111111111111';
const sid = '22222222-2222-4222-8222-222222222222';
const now = Math.floor(Date.now() / 1000);

describe('JwtStrategy.validate (claims after signature and expiry checks)', () => {
  const strategy = new JwtStrategy();

  it('answers the subject and the login id', () => {
    expect(strategy.validate({ sub, sid, role: 'user', iat: now, exp: now + 60 })).toEqual({ sub, sid });
  });

  it.each([
    ['no exp', { sub, sid, iat: now }],
    ['exp not a number', { sub, sid, iat: now, exp: `${now + 60}` }],
    ['no iat', { sub, sid, exp: now + 60 }],
    ['no sid', { sub, iat: now, exp: now + 60 }],
    ['sub not a uuid', { sub: 'admin', sid, iat: now, exp: now + 60 }],
    ['sid not a uuid', { sub, sid: "1' OR '1'='1", iat: now, exp: now + 60 }],
    ['not an object', 'payload'],
    ['null', null],
  ])('refuses a token with %s → UNAUTHENTICATED', (_name, payload) => {
    expect(() => strategy.validate(payload)).toThrow(AppError);
    try {
      strategy.validate(payload);
    } catch (error) {
      expect((error as AppError).code).toBe('UNAUTHENTICATED');
    }
  });
});
