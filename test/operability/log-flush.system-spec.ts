import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DIST_DIR, ServiceProcess, startService } from '../helpers/service';

/**
 * Log lines go to stdout through a buffer (src/logging/logger.ts: 4 KiB or 250 ms, written
 * asynchronously). None may be lost on the way out: the lines written just before a SIGTERM, and
 * just before a fatal error, are all in the output, in order, with the line saying why it ended.
 */

type Line = Record<string, unknown>;
const parse = (output: string): Line[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

jest.setTimeout(120_000);

describe('no log line is lost on the way out (system)', () => {
  let db: TestDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await service?.stop(5000);
    await db?.drop();
  });

  it('SIGTERM right after a burst of requests: every access line is written, then "shutdown: complete"', async () => {
    service = await startService({
      env: {
        DATABASE_URL: db.url,
        JWT_SECRET: 'log-flush-spec-secret-log-flush-spec-secret-01',
        SHUTDOWN_DELAY_MS: '0',
      },
      waitFor: '/health/ready',
    });
    const ids = Array.from({ length: 400 }, (_, i) => `flush-${i}`);
    for (let i = 0; i < ids.length; i += 20) {
      await Promise.all(
        ids.slice(i, i + 20).map(async (id) => {
          const res = await fetch(`${service!.url}/health/live`, { headers: { 'x-request-id': id } });
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }),
      );
    }
    // At once: the last lines are still in the buffer, not yet due for a flush.
    expect(await service.stop()).toBe(0);
    const lines = parse(service.output());
    const logged = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.requestId));
    expect(ids.filter((id) => !logged.has(id))).toEqual([]);
    expect(lines[lines.length - 1]?.msg).toBe('shutdown: complete');
  });

  // A destination slower than the process (a starved pipe reader): every asynchronous write is held
  // back 200 ms, so one is surely in flight when the failure comes. pino's `fatal` writes what is
  // buffered synchronously at once; before src/shutdown.ts settled the destination first, that write
  // overtook the one in flight (seen on a loaded machine as lines 34-166 arriving last).
  const SLOW_DESTINATION = `
    const fs = require('node:fs');
    const write = fs.write;
    fs.write = (...args) => setTimeout(() => write(...args), 200);`;

  describe.each([
    [
      'an uncaught exception',
      "setImmediate(() => { throw new Error('fatal-spec boom'); });",
      'uncaughtException',
      '',
    ],
    [
      'an unhandled rejection',
      "setImmediate(() => { Promise.reject(new Error('fatal-spec boom')); });",
      'unhandledRejection',
      '',
    ],
    [
      'an uncaught exception while a slow write is in flight',
      "setImmediate(() => { throw new Error('fatal-spec boom'); });",
      'uncaughtException',
      SLOW_DESTINATION,
    ],
  ])('%s', (_what, failure, origin, preamble) => {
    it('exits 1 after writing every line logged before it, then the fatal line with the error', () => {
      const script = `${preamble}
        const { createLogger, stdoutDestination } = require(${JSON.stringify(join(DIST_DIR, 'logging', 'logger.js'))});
        const { installFatalHandler } = require(${JSON.stringify(join(DIST_DIR, 'shutdown.js'))});
        const { testConfig } = require(${JSON.stringify(join(DIST_DIR, 'config', 'config.js'))});
        const logger = createLogger(testConfig({ logLevel: 'info' }), stdoutDestination());
        installFatalHandler(logger);
        for (let n = 0; n < 5000; n += 1) logger.info({ n }, 'before the failure');
        ${failure}`;
      const run = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(run.status).toBe(1);
      const lines = parse(run.stdout);
      const numbers = lines.filter((l) => l.msg === 'before the failure').map((l) => l.n);
      expect(numbers).toEqual(Array.from({ length: 5000 }, (_, n) => n));
      expect(lines[lines.length - 1]).toMatchObject({
        level: 'fatal',
        origin,
        err: expect.objectContaining({ message: 'fatal-spec boom' }),
      });
    });
  });
});
