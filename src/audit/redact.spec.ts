import { redactSecrets } from './redact';

describe('redactSecrets (second line of defence for audit changes)', () => {
  it('drops secret-named keys at any depth, whatever their case', () => {
    const input = {
      name: 'Ada',
      password: 'p4ssw0rd-value',
      currentPassword: 'old-value',
      nested: {
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
        refreshToken: 'r',
        accessToken: 'a',
        token_hash: 'h',
        apiKey: 'k',
        Secret: 's',
      },
      list: [{ token: 't', keep: 1 }],
      authorization: 'Bearer x',
    };
    expect(redactSecrets(input)).toEqual({ name: 'Ada', nested: {}, list: [{ keep: 1 }] });
  });

  it('keeps booleans under secret-like names (they carry no secret)', () => {
    expect(redactSecrets({ passwordChanged: true, tokenRevoked: false })).toEqual({
      passwordChanged: true,
      tokenRevoked: false,
    });
  });

  it('redacts argon2 hashes found under innocent names', () => {
    expect(redactSecrets({ value: '$argon2id$v=19$m=19456,t=2,p=1$abc$def', other: 'fine' })).toEqual({
      value: '[redacted]',
      other: 'fine',
    });
  });

  it('serialises dates, drops undefined, keeps plain values', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(redactSecrets({ at, n: 1, s: 'x', nil: null, u: undefined })).toEqual({
      at: '2026-01-02T03:04:05.000Z',
      n: 1,
      s: 'x',
      nil: null,
    });
  });
});
