import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrustProxy, TrustProxy } from './trust-proxy';

/**
 * The whole configuration of the service (README "Configuration"). This folder is the only place
 * that reads `process.env`; everything else receives an `AppConfig`.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  /** Undefined outside production until the embedded bootstrap generates one under `dataDir`. */
  jwtSecret: string | undefined;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  redisUrl: string | undefined;
  rateLimitPerMinute: number;
  orderRateLimitPerMinute: number;
  loginRateLimitPerMinute: number;
  logLevel: LogLevel;
  appVersion: string;
  releaseColor: 'blue' | 'green';
  shutdownDelayMs: number;
  shutdownDrainTimeoutMs: number;
  faults: { enabled: boolean; errorRate: number; latencyMs: number };
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  dbConnectTimeoutMs: number;
  corsOrigins: string[];
  trustProxy: TrustProxy;
  webhooksAllowPrivate: boolean;
  migrateOnBoot: boolean;
  migrations: MigrationConfig;
  background: BackgroundConfig;
  webhooks: WebhookConfig;
}

/** How migrations behave beside live traffic (docs/kubernetes.md, "Migrations"). */
export interface MigrationConfig {
  /** `lock_timeout` of every migration statement: how long live queries may queue behind it. */
  lockTimeoutMs: number;
  /** Further tries of a migration that gave up waiting for a lock (each after a growing pause). */
  lockRetries: number;
}

/** Which instances run the background work (webhook dispatcher, scheduled purges). */
export interface BackgroundConfig {
  /**
   * A file naming the active colour (`blue` or `green`), re-read every `activeColorPollMs`: only an
   * instance whose RELEASE_COLOR it names runs the background work. Unset: this instance runs it.
   */
  activeColorFile: string | undefined;
  activeColorPollMs: number;
}

/** The webhook dispatcher (docs/webhooks.md). */
export interface WebhookConfig {
  /** Run the delivery worker in this process (off for e2e specs that only exercise the API). */
  dispatcherEnabled: boolean;
  /** Attempts before a delivery is `dead`. */
  maxAttempts: number;
  /** Backoff before retry n is in [d/2, d] with d = min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Whole-request limit for one POST to a receiver. */
  timeoutMs: number;
  /** How often an idle dispatcher looks for due deliveries. */
  pollIntervalMs: number;
  /** Consecutive failures that open an endpoint's circuit breaker. */
  breakerThreshold: number;
  /** How long an open breaker waits before letting one probe through. */
  breakerHalfOpenMs: number;
  /** Key material for encrypting signing secrets at rest; derived from JWT_SECRET when unset. */
  secretKey: string | undefined;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects one problem per bad variable instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  ratio(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      this.problems.push(`${name}: must be a number from 0 to 1 (got "${value}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const MIN_JWT_SECRET_BYTES = 32;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface LoadOptions {
  /** false for entry points that sign nothing (the migration runner): JWT_SECRET may be absent. */
  requireJwtSecret?: boolean;
}

/** Reads and validates the environment; throws `ConfigError` listing every bad variable. */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): AppConfig {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');

  const databaseUrl = r.string('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    r.problems.push('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  }
  const redisUrl = r.string('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/.+/.test(redisUrl)) {
    r.problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  }

  const jwtSecret = r.string('JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < MIN_JWT_SECRET_BYTES) {
    r.problems.push(`JWT_SECRET: must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
  } else if (jwtSecret === undefined && nodeEnv === 'production' && options.requireJwtSecret !== false) {
    r.problems.push('JWT_SECRET: required when NODE_ENV=production');
  }

  const webhookSecretKey = r.string('WEBHOOK_SECRET_KEY');
  if (webhookSecretKey !== undefined && Buffer.byteLength(webhookSecretKey) < MIN_JWT_SECRET_BYTES) {
    r.problems.push(`WEBHOOK_SECRET_KEY: must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
  }

  const corsOrigins = (r.string('CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      r.problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
    }
  }

  const trustProxy = parseTrustProxy(r.string('TRUST_PROXY'));
  if ('problem' in trustProxy) r.problems.push(`TRUST_PROXY: ${trustProxy.problem}`);

  const config: AppConfig = {
    nodeEnv,
    port: r.int('PORT', 3000, 0, 65535),
    databaseUrl,
    dataDir: r.string('DATA_DIR') ?? '.data',
    jwtSecret,
    accessTokenTtl: r.int('ACCESS_TOKEN_TTL', 900, 30, 86_400),
    refreshTokenTtl: r.int('REFRESH_TOKEN_TTL', 1_209_600, 60, 31_536_000),
    redisUrl,
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    orderRateLimitPerMinute: r.int('ORDER_RATE_LIMIT_PER_MINUTE', 60, 1, 10_000_000),
    loginRateLimitPerMinute: r.int('LOGIN_RATE_LIMIT_PER_MINUTE', 5, 1, 10_000_000),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    appVersion: r.string('APP_VERSION') ?? packageVersion(),
    releaseColor: r.oneOf('RELEASE_COLOR', ['blue', 'green'] as const, 'blue'),
    shutdownDelayMs: r.int('SHUTDOWN_DELAY_MS', 5000, 0, 300_000),
    shutdownDrainTimeoutMs: r.int('SHUTDOWN_DRAIN_TIMEOUT_MS', 10_000, 100, 300_000),
    faults: {
      enabled: r.bool('FAULTS_ENABLED', false),
      errorRate: r.ratio('FAULT_ERROR_RATE', 0),
      latencyMs: r.int('FAULT_LATENCY_MS', 0, 0, 60_000),
    },
    dbPoolMax: r.int('DB_POOL_MAX', 10, 1, 500),
    dbStatementTimeoutMs: r.int('DB_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    dbConnectTimeoutMs: r.int('DB_CONNECT_TIMEOUT_MS', 1000, 100, 60_000),
    corsOrigins,
    trustProxy: 'value' in trustProxy ? trustProxy.value : false,
    webhooksAllowPrivate: r.bool('WEBHOOKS_ALLOW_PRIVATE', false),
    migrateOnBoot: r.bool('MIGRATE_ON_BOOT', true),
    migrations: {
      lockTimeoutMs: r.int('MIGRATION_LOCK_TIMEOUT_MS', 2000, 10, 600_000),
      lockRetries: r.int('MIGRATION_LOCK_RETRIES', 5, 0, 100),
    },
    background: {
      activeColorFile: r.string('ACTIVE_COLOR_FILE'),
      activeColorPollMs: r.int('ACTIVE_COLOR_POLL_MS', 5000, 10, 600_000),
    },
    webhooks: {
      dispatcherEnabled: r.bool('WEBHOOK_DISPATCHER_ENABLED', true),
      maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 10, 1, 50),
      baseDelayMs: r.int('WEBHOOK_BASE_DELAY_MS', 1000, 10, 3_600_000),
      maxDelayMs: r.int('WEBHOOK_MAX_DELAY_MS', 3_600_000, 10, 86_400_000),
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 5000, 100, 30_000),
      pollIntervalMs: r.int('WEBHOOK_POLL_INTERVAL_MS', 250, 10, 60_000),
      breakerThreshold: r.int('WEBHOOK_BREAKER_THRESHOLD', 5, 1, 1000),
      breakerHalfOpenMs: r.int('WEBHOOK_BREAKER_HALF_OPEN_MS', 30_000, 10, 3_600_000),
      secretKey: webhookSecretKey,
    },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

export const EX_CONFIG = 78;

/**
 * For the process entry points (the service, `migrate`): the configuration, or one line per bad
 * variable on stderr and exit code 78 (EX_CONFIG).
 */
export function loadConfigOrExit(env: Env = process.env, options: LoadOptions = {}): AppConfig {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`configuration error: ${problem}\n`);
    process.exit(EX_CONFIG);
  }
}

/** Values for tests: valid defaults with the given overrides. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), ...overrides };
}
