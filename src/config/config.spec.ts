import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the contract defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      dataDir: '.data',
      accessTokenTtl: 900,
      refreshTokenTtl: 1_209_600,
      redisUrl: undefined,
      rateLimitPerMinute: 600,
      orderRateLimitPerMinute: 60,
      loginRateLimitPerMinute: 5,
      logLevel: 'info',
      releaseColor: 'blue',
      shutdownDelayMs: 5000,
      faults: { enabled: false, errorRate: 0, latencyMs: 0 },
      dbPoolMax: 10,
      corsOrigins: [],
      trustProxy: false,
      webhooksAllowPrivate: false,
      migrateOnBoot: true,
    });
    // The repository's package.json, found by walking up (the bundle sits one folder higher than this module).
    expect(config.appVersion).toBe(PACKAGE_VERSION);
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/bulwark',
      DATA_DIR: '/var/lib/bulwark',
      JWT_SECRET: 'x'.repeat(32),
      ACCESS_TOKEN_TTL: '60',
      REFRESH_TOKEN_TTL: '3600',
      REDIS_URL: 'redis://cache:6379',
      RATE_LIMIT_PER_MINUTE: '100',
      ORDER_RATE_LIMIT_PER_MINUTE: '10',
      LOGIN_RATE_LIMIT_PER_MINUTE: '3',
      LOG_LEVEL: 'debug',
      APP_VERSION: '2.3.4',
      RELEASE_COLOR: 'green',
      SHUTDOWN_DELAY_MS: '1500',
      FAULTS_ENABLED: 'true',
      FAULT_ERROR_RATE: '0.25',
      FAULT_LATENCY_MS: '400',
      DB_POOL_MAX: '20',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      TRUST_PROXY: '1',
      WEBHOOKS_ALLOW_PRIVATE: '1',
      MIGRATE_ON_BOOT: 'false',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/bulwark',
      dataDir: '/var/lib/bulwark',
      accessTokenTtl: 60,
      refreshTokenTtl: 3600,
      redisUrl: 'redis://cache:6379',
      rateLimitPerMinute: 100,
      orderRateLimitPerMinute: 10,
      loginRateLimitPerMinute: 3,
      logLevel: 'debug',
      appVersion: '2.3.4',
      releaseColor: 'green',
      shutdownDelayMs: 1500,
      faults: { enabled: true, errorRate: 0.25, latencyMs: 400 },
      dbPoolMax: 20,
      corsOrigins: ['https://a.example', 'https://b.example'],
      trustProxy: 1,
      webhooksAllowPrivate: true,
      migrateOnBoot: false,
    });
  });

  it('reports one line per bad variable, naming each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      RELEASE_COLOR: 'red',
      FAULT_ERROR_RATE: '1.5',
      DB_POOL_MAX: '0',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'maybe',
      DATABASE_URL: 'mysql://x',
    });
    expect(problems).toHaveLength(7);
    for (const name of [
      'PORT',
      'RELEASE_COLOR',
      'FAULT_ERROR_RATE',
      'DB_POOL_MAX',
      'LOG_LEVEL',
      'TRUST_PROXY',
      'DATABASE_URL',
    ]) {
      expect(problems.filter((p) => p.startsWith(`${name}:`))).toHaveLength(1);
    }
  });

  it('requires a JWT secret of at least 32 bytes in production only', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET: required when NODE_ENV=production']);
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toEqual([
      'JWT_SECRET: must be at least 32 bytes',
    ]);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32) }).jwtSecret).toBe('s'.repeat(32));
  });

  it('reads the webhook dispatcher settings and refuses a short WEBHOOK_SECRET_KEY', () => {
    expect(loadConfig({}).webhooks).toMatchObject({
      dispatcherEnabled: true,
      maxAttempts: 10,
      timeoutMs: 5000,
      secretKey: undefined,
    });
    expect(
      loadConfig({
        WEBHOOK_DISPATCHER_ENABLED: 'false',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_BASE_DELAY_MS: '50',
        WEBHOOK_MAX_DELAY_MS: '400',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_POLL_INTERVAL_MS: '20',
        WEBHOOK_BREAKER_THRESHOLD: '2',
        WEBHOOK_BREAKER_HALF_OPEN_MS: '300',
        WEBHOOK_SECRET_KEY: 'k'.repeat(32),
      }).webhooks,
    ).toEqual({
      dispatcherEnabled: false,
      maxAttempts: 3,
      baseDelayMs: 50,
      maxDelayMs: 400,
      timeoutMs: 1000,
      pollIntervalMs: 20,
      breakerThreshold: 2,
      breakerHalfOpenMs: 300,
      secretKey: 'k'.repeat(32),
    });
    expect(problemsOf({ WEBHOOK_SECRET_KEY: 'short', WEBHOOK_MAX_ATTEMPTS: '0' }).sort()).toEqual([
      'WEBHOOK_MAX_ATTEMPTS: must be a whole number from 1 to 50 (got "0")',
      'WEBHOOK_SECRET_KEY: must be at least 32 bytes',
    ]);
  });

  it('reads who runs the background work and how migrations meet live traffic', () => {
    expect(loadConfig({}).background).toEqual({ activeColorFile: undefined, activeColorPollMs: 5000 });
    expect(loadConfig({}).migrations).toEqual({ lockTimeoutMs: 2000, lockRetries: 5 });
    expect(
      loadConfig({
        ACTIVE_COLOR_FILE: '/etc/bulwark/active-color/activeColor',
        ACTIVE_COLOR_POLL_MS: '250',
        MIGRATION_LOCK_TIMEOUT_MS: '500',
        MIGRATION_LOCK_RETRIES: '0',
      }),
    ).toMatchObject({
      background: { activeColorFile: '/etc/bulwark/active-color/activeColor', activeColorPollMs: 250 },
      migrations: { lockTimeoutMs: 500, lockRetries: 0 },
    });
    expect(loadConfig({ ACTIVE_ROLE_FILE: '/etc/bulwark/pod/labels' }).background).toEqual({
      activeColorFile: undefined,
      activeRoleFile: '/etc/bulwark/pod/labels',
      activeColorPollMs: 5000,
    });
    expect(problemsOf({ ACTIVE_COLOR_FILE: '/a', ACTIVE_ROLE_FILE: '/b' })).toEqual([
      'ACTIVE_ROLE_FILE: set ACTIVE_COLOR_FILE (engine bulwark) or ACTIVE_ROLE_FILE (engine argo), not both',
    ]);
    expect(problemsOf({ ACTIVE_COLOR_POLL_MS: '0', MIGRATION_LOCK_RETRIES: 'many' }).sort()).toEqual([
      'ACTIVE_COLOR_POLL_MS: must be a whole number from 10 to 600000 (got "0")',
      'MIGRATION_LOCK_RETRIES: must be a whole number from 0 to 100 (got "many")',
    ]);
  });

  it('lets the migration runner start without JWT_SECRET in production (it signs nothing)', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, { requireJwtSecret: false }).jwtSecret).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });

  it('reports a missing production JWT_SECRET together with every other bad variable', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', FAULTS_ENABLED: 'Maybe', PORT: '1e3', CORS_ORIGINS: '*' }).sort(),
    ).toEqual([
      'CORS_ORIGINS: "*" is not an origin like https://app.example.com',
      'FAULTS_ENABLED: must be true or false (got "maybe")',
      'JWT_SECRET: required when NODE_ENV=production',
      'PORT: must be a whole number from 0 to 65535 (got "1e3")',
    ]);
  });

  it('trims values and treats blank ones as unset', () => {
    expect(
      loadConfig({
        PORT: ' 8080 ',
        LOG_LEVEL: ' debug ',
        FAULTS_ENABLED: 'YES',
        TRUST_PROXY: ' 2 ',
        DATA_DIR: '  ',
      }),
    ).toMatchObject({
      port: 8080,
      logLevel: 'debug',
      faults: { enabled: true },
      trustProxy: 2,
      dataDir: '.data',
    });
  });

  it('refuses CORS entries that are not origins', () => {
    expect(problemsOf({ CORS_ORIGINS: 'https://ok.example,*' })).toEqual([
      'CORS_ORIGINS: "*" is not an origin like https://app.example.com',
    ]);
  });
});
