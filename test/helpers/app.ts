import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig, testConfig } from '../../src/config/config';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-test-secret';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The raw log text, for "this secret never appears" checks. */
  logText(): string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * The whole application in-process (exactly what main.ts builds) on a fresh database of the run's
 * real PostgreSQL, with migrations applied and logs captured.
 */
export async function createTestApp(
  overrides: Partial<AppConfig> = {},
  /** How the service reaches its fresh database (e.g. through a test proxy); directly by default. */
  route: (databaseUrl: string) => string = (url) => url,
  /** A database made elsewhere (another server); by default a fresh one of the run's server. */
  database?: TestDatabase,
): Promise<TestApp> {
  const db = database ?? (await createTestDatabase());
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  // Opening a connection may take longer than the production bound on a CI machine whose two cores
  // are shared by several specs; fast 503s on a dead database are proven by refusing connections,
  // which fail at once whatever this bound is.
  const config = testConfig({
    databaseUrl: route(db.url),
    jwtSecret: TEST_JWT_SECRET,
    logLevel: 'info',
    dbConnectTimeoutMs: 5000,
    ...overrides,
  });
  const { app } = await createApp(config, { logDestination: destination });
  const fastify = app.getHttpAdapter().getInstance();
  return {
    app,
    config,
    db,
    get logs() {
      return chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => chunks.join(''),
    inject: (options) => fastify.inject(options),
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
