import { Writable } from 'node:stream';
import { testConfig } from '../config/config';
import { createLogger } from './logger';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('labels every line with app_version and color', () => {
    const out = capture();
    createLogger(
      testConfig({ logLevel: 'info', appVersion: '9.9.9', releaseColor: 'green' }),
      out.stream,
    ).info('hello');
    expect(JSON.parse(out.text())).toMatchObject({
      app_version: '9.9.9',
      color: 'green',
      msg: 'hello',
      level: 'info',
    });
  });

  it('redacts passwords, tokens, authorization and cookies at any usual depth', () => {
    const out = capture();
    createLogger(testConfig({ logLevel: 'info' }), out.stream).info(
      {
        password: 'p-top-secret-1',
        body: {
          password: 'p-top-secret-2',
          refreshToken: 'rt-secret-3',
          nested: { currentPassword: 'p-secret-4' },
        },
        req: { headers: { authorization: 'Bearer eyJ-secret-5', cookie: 'sid=secret-6' } },
        accessToken: 'at-secret-7',
      },
      'login',
    );
    const text = out.text();
    for (const secret of [
      'p-top-secret-1',
      'p-top-secret-2',
      'rt-secret-3',
      'p-secret-4',
      'eyJ-secret-5',
      'secret-6',
      'at-secret-7',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});

describe('serializeError', () => {
  it('drops the bound parameters of a failed query, keeps the message and code', async () => {
    const { serializeError } = await import('./logger');
    const error = Object.assign(new Error('duplicate key value'), {
      code: '23505',
      query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      parameters: ['a@b.c', '$argon2id$v=19$m=19456,t=2,p=1$secret-hash'],
      driverError: { code: '23505', parameters: ['again-secret'] },
    });
    const out = JSON.stringify(serializeError(error));
    expect(out).toContain('duplicate key value');
    expect(out).toContain('23505');
    expect(out).not.toContain('secret-hash');
    expect(out).not.toContain('again-secret');
  });
});

describe('log context', () => {
  it('puts the request id and the caller on lines written inside a request scope, the line winning', async () => {
    const { currentScope, runAsRequest } = await import('../database/wait-budget');
    const out = capture();
    const logger = createLogger(testConfig({ logLevel: 'info' }), out.stream);
    logger.info('outside');
    runAsRequest(() => {
      logger.info('before auth');
      const scope = currentScope();
      if (scope) scope.userId = 'u-1';
      logger.info({ requestId: 'own' }, 'after auth');
    }, 'req-1');
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[1]).toMatchObject({ requestId: 'req-1', msg: 'before auth' });
    expect(lines[1]).not.toHaveProperty('userId');
    expect(lines[2]).toMatchObject({ requestId: 'own', userId: 'u-1', msg: 'after auth' });
  });
});
