import { AppError } from '../common/errors/app-error';
import { JwtStrategy } from './jwt.strategy';

const sub = '11111111-1111-4111-8111-111111111111';
const sid = '22222222-2222-4222-8222-222222222222';
const now = Math.floor(Date.now() / 1000);

/** What jsonwebtoken's `complete` option hands the strategy: the verified header and payload. */
const token = (payload: unknown, header: object = { alg: 'HS256', typ: 'JWT' }) => ({
  header,
  payload,
  signature: 'sig',
});

function expectUnauthenticated(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AppError);
  expect((thrown as AppError).code).toBe('UNAUTHENTICATED');
}

describe('JwtStrategy.validate (claims after signature and expiry checks)', () => {
  const strategy = new JwtStrategy();
  const good = { sub, sid, role: 'user', iat: now, exp: now + 60 };

  it('answers the subject and the login id', () => {
    expect(strategy.validate(token(good))).toEqual({ sub, sid });
  });

  it.each([
    ['an unknown critical extension', { alg: 'HS256', typ: 'JWT', crit: ['exp-ext'], 'exp-ext': 1 }],
    ['an empty crit list', { alg: 'HS256', crit: [] }],
    ['crit naming a registered header', { alg: 'HS256', crit: ['alg'] }],
    ['a malformed crit', { alg: 'HS256', crit: 'b64' }],
  ])('refuses a header with %s (RFC 7515 §4.1.11)', (_name, header) => {
    expectUnauthenticated(() => strategy.validate(token(good, header)));
  });

  it('refuses a verification result without a header', () => {
    expectUnauthenticated(() => strategy.validate({ payload: good }));
    expectUnauthenticated(() => strategy.validate(undefined));
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
    expectUnauthenticated(() => strategy.validate(token(payload)));
  });
});
