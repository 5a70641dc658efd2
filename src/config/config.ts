import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
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
  /**
   * Engine argo (docs/engines.md): the pod's own labels (a downward API `metadata.labels` file),
   * re-read every `activeColorPollMs`: only a pod labelled `bulwark.dev/role=stable` runs the
   * background work. Exclusive with `activeColorFile`.
   */
  activeRoleFile?: string;
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const MIN_JWT_SECRET_BYTES = 32;

/**
 * The version in the repository's package.json, the nearest one above this module: `dist/config/`
 * when the entry points run as `nest build` left them, `dist/` inside the service's bundle
 * (scripts/bundle-service.mjs), `src/config/` under the test runner.
 */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bulwark') return pkg.version ?? '0.0.0';
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

export interface LoadOptions {
  /** false for entry points that sign nothing (the migration runner): JWT_SECRET may be absent. */
  requireJwtSecret?: boolean;
}

/*
 * The environment as a zod schema (docs/configuration.md): one entry per variable, with its default,
 * its bounds and the one-line problem it reports. A value that is empty (or only blanks) counts as
 * unset, and every value is trimmed.
 */

/** `got "…"` in a problem line: the value as written. */
const got = (input: unknown): string => `(got "${String(input)}")`;

/** A variable: trimmed, unset when blank, then checked by `schema` (which carries the default). */
function variable<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }, schema);
}

function wholeNumber(fallback: number, min: number, max: number) {
  const error = (issue: { input?: unknown }) =>
    `must be a whole number from ${min} to ${max} ${got(issue.input)}`;
  return variable(
    z
      .string()
      // One check, so that a variable reports one problem.
      .refine((value) => /^-?\d+$/.test(value) && Number(value) >= min && Number(value) <= max, { error })
      .transform(Number)
      .default(fallback),
  );
}

function ratio(fallback: number) {
  const error = (issue: { input?: unknown }) => `must be a number from 0 to 1 ${got(issue.input)}`;
  const inRange = (value: string) =>
    Number.isFinite(Number(value)) && Number(value) >= 0 && Number(value) <= 1;
  return variable(z.string().refine(inRange, { error }).transform(Number).default(fallback));
}

const TRUE = ['true', '1', 'yes'] as const;
const FALSE = ['false', '0', 'no'] as const;

/**
 * `true`/`false`, `1`/`0` or `yes`/`no`, in any case. (Not `z.stringbool()`: its refusal aborts the
 * whole parse, which would hide the cross-variable check of JWT_SECRET.)
 */
function boolean(fallback: boolean) {
  return variable(
    z
      .preprocess(
        (value) => (typeof value === 'string' ? value.toLowerCase() : value),
        z.enum([...TRUE, ...FALSE], { error: (issue) => `must be true or false ${got(issue.input)}` }),
      )
      .transform((value) => (TRUE as readonly string[]).includes(value))
      .default(fallback),
  );
}

function oneOf<const T extends readonly [string, ...string[]]>(allowed: T, fallback: T[number]) {
  return variable(
    z
      .enum(allowed, { error: (issue) => `must be one of ${allowed.join(', ')} ${got(issue.input)}` })
      .default(fallback),
  );
}

function text() {
  return variable(z.string().optional());
}

function url(pattern: RegExp, message: string) {
  return variable(z.string().regex(pattern, { error: message }).optional());
}

function secret() {
  return variable(
    z
      .string()
      .refine((value) => Buffer.byteLength(value) >= MIN_JWT_SECRET_BYTES, {
        error: `must be at least ${MIN_JWT_SECRET_BYTES} bytes`,
      })
      .optional(),
  );
}

/** Comma-separated origins; one problem per entry that is not an origin. */
const corsOrigins = variable(
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const origins = value
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o.length > 0);
      for (const origin of origins) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
          ctx.issues.push({
            code: 'custom',
            input: origin,
            message: `"${origin}" is not an origin like https://app.example.com`,
          });
        }
      }
      return origins;
    }),
);

/** `TRUST_PROXY`, in the terms of `parseTrustProxy` (src/config/trust-proxy.ts). */
const trustProxy = variable(
  z
    .string()
    .optional()
    .transform((value, ctx): TrustProxy => {
      const parsed = parseTrustProxy(value);
      if ('value' in parsed) return parsed.value;
      ctx.issues.push({ code: 'custom', input: value, message: parsed.problem });
      return false;
    }),
);

const environmentSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  PORT: wholeNumber(3000, 0, 65535),
  DATABASE_URL: url(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL'),
  DATA_DIR: variable(z.string().default('.data')),
  JWT_SECRET: secret(),
  ACCESS_TOKEN_TTL: wholeNumber(900, 30, 86_400),
  REFRESH_TOKEN_TTL: wholeNumber(1_209_600, 60, 31_536_000),
  REDIS_URL: url(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL'),
  RATE_LIMIT_PER_MINUTE: wholeNumber(600, 1, 10_000_000),
  ORDER_RATE_LIMIT_PER_MINUTE: wholeNumber(60, 1, 10_000_000),
  LOGIN_RATE_LIMIT_PER_MINUTE: wholeNumber(5, 1, 10_000_000),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  APP_VERSION: text(),
  RELEASE_COLOR: oneOf(['blue', 'green'], 'blue'),
  SHUTDOWN_DELAY_MS: wholeNumber(5000, 0, 300_000),
  SHUTDOWN_DRAIN_TIMEOUT_MS: wholeNumber(10_000, 100, 300_000),
  FAULTS_ENABLED: boolean(false),
  FAULT_ERROR_RATE: ratio(0),
  FAULT_LATENCY_MS: wholeNumber(0, 0, 60_000),
  DB_POOL_MAX: wholeNumber(10, 1, 500),
  DB_STATEMENT_TIMEOUT_MS: wholeNumber(5000, 100, 600_000),
  DB_CONNECT_TIMEOUT_MS: wholeNumber(1000, 100, 60_000),
  CORS_ORIGINS: corsOrigins,
  TRUST_PROXY: trustProxy,
  WEBHOOKS_ALLOW_PRIVATE: boolean(false),
  MIGRATE_ON_BOOT: boolean(true),
  MIGRATION_LOCK_TIMEOUT_MS: wholeNumber(2000, 10, 600_000),
  MIGRATION_LOCK_RETRIES: wholeNumber(5, 0, 100),
  ACTIVE_COLOR_FILE: text(),
  ACTIVE_ROLE_FILE: text(),
  ACTIVE_COLOR_POLL_MS: wholeNumber(5000, 10, 600_000),
  WEBHOOK_DISPATCHER_ENABLED: boolean(true),
  WEBHOOK_MAX_ATTEMPTS: wholeNumber(10, 1, 50),
  WEBHOOK_BASE_DELAY_MS: wholeNumber(1000, 10, 3_600_000),
  WEBHOOK_MAX_DELAY_MS: wholeNumber(3_600_000, 10, 86_400_000),
  WEBHOOK_TIMEOUT_MS: wholeNumber(5000, 100, 30_000),
  WEBHOOK_POLL_INTERVAL_MS: wholeNumber(250, 10, 60_000),
  WEBHOOK_BREAKER_THRESHOLD: wholeNumber(5, 1, 1000),
  WEBHOOK_BREAKER_HALF_OPEN_MS: wholeNumber(30_000, 10, 3_600_000),
  WEBHOOK_SECRET_KEY: secret(),
});

/** The schema for one entry point: production needs JWT_SECRET unless the entry point signs nothing. */
function configSchema(options: LoadOptions) {
  return environmentSchema
    .refine(
      (env) =>
        !(
          env.NODE_ENV === 'production' &&
          env.JWT_SECRET === undefined &&
          options.requireJwtSecret !== false
        ),
      // Checked even when other variables are bad, so that every problem is reported at once.
      { path: ['JWT_SECRET'], error: 'required when NODE_ENV=production', when: () => true },
    )
    .refine((env) => !(env.ACTIVE_COLOR_FILE !== undefined && env.ACTIVE_ROLE_FILE !== undefined), {
      path: ['ACTIVE_ROLE_FILE'],
      error: 'set ACTIVE_COLOR_FILE (engine bulwark) or ACTIVE_ROLE_FILE (engine argo), not both',
      when: () => true,
    })
    .transform((env): AppConfig => ({
      nodeEnv: env.NODE_ENV,
      port: env.PORT,
      databaseUrl: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      jwtSecret: env.JWT_SECRET,
      accessTokenTtl: env.ACCESS_TOKEN_TTL,
      refreshTokenTtl: env.REFRESH_TOKEN_TTL,
      redisUrl: env.REDIS_URL,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      orderRateLimitPerMinute: env.ORDER_RATE_LIMIT_PER_MINUTE,
      loginRateLimitPerMinute: env.LOGIN_RATE_LIMIT_PER_MINUTE,
      logLevel: env.LOG_LEVEL,
      appVersion: env.APP_VERSION ?? packageVersion(),
      releaseColor: env.RELEASE_COLOR,
      shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
      shutdownDrainTimeoutMs: env.SHUTDOWN_DRAIN_TIMEOUT_MS,
      faults: {
        enabled: env.FAULTS_ENABLED,
        errorRate: env.FAULT_ERROR_RATE,
        latencyMs: env.FAULT_LATENCY_MS,
      },
      dbPoolMax: env.DB_POOL_MAX,
      dbStatementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      dbConnectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
      webhooksAllowPrivate: env.WEBHOOKS_ALLOW_PRIVATE,
      migrateOnBoot: env.MIGRATE_ON_BOOT,
      migrations: { lockTimeoutMs: env.MIGRATION_LOCK_TIMEOUT_MS, lockRetries: env.MIGRATION_LOCK_RETRIES },
      background: {
        activeColorFile: env.ACTIVE_COLOR_FILE,
        activeRoleFile: env.ACTIVE_ROLE_FILE,
        activeColorPollMs: env.ACTIVE_COLOR_POLL_MS,
      },
      webhooks: {
        dispatcherEnabled: env.WEBHOOK_DISPATCHER_ENABLED,
        maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
        baseDelayMs: env.WEBHOOK_BASE_DELAY_MS,
        maxDelayMs: env.WEBHOOK_MAX_DELAY_MS,
        timeoutMs: env.WEBHOOK_TIMEOUT_MS,
        pollIntervalMs: env.WEBHOOK_POLL_INTERVAL_MS,
        breakerThreshold: env.WEBHOOK_BREAKER_THRESHOLD,
        breakerHalfOpenMs: env.WEBHOOK_BREAKER_HALF_OPEN_MS,
        secretKey: env.WEBHOOK_SECRET_KEY,
      },
    }));
}

/** Reads and validates the environment; throws `ConfigError` listing every bad variable. */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): AppConfig {
  const result = configSchema(options).safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
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
