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
    createLogger(testConfig({ logLevel: 'info', appVersion: '9.9.9', releaseColor: 'green' }), out.stream).info('hello');
    expect(JSON.parse(out.text())).toMatchObject({ app_version: '9.9.9', color: 'green', msg: 'hello', level: 'info' });
  });

  it('redacts passwords, tokens, authorization and cookies at any usual depth', () => {
    const out = capture();
    createLogger(testConfig({ logLevel: 'info' }), out.stream).info(
      {
        password: 'p-top-secret-1',
        body: { password: 'p-top-secret-2', refreshToken: 'rt-secret-3', nested: { currentPassword: 'p-secret-4' } },
        req: { headers: { authorization: 'Bearer eyJ-secret-5', cookie: 'sid=secret-6' } },
        accessToken: 'at-secret-7',
      },
      'login',
    );
    const text = out.text();
    for (const secret of ['p-top-secret-1', 'p-top-secret-2', 'rt-secret-3', 'p-secret-4', 'eyJ-secret-5', 'secret-6', 'at-secret-7']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });
});
