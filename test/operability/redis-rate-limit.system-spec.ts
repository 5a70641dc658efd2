import { createTestDatabase, TestDatabase } from '../helpers/database';
import { HttpClient, signIn } from '../helpers/http-client';
import { ServiceProcess, startService } from '../helpers/service';
import { RedisServer, startRedisServer } from '../helpers/redis-server';

const JWT_SECRET = 'redis-spec-secret-redis-spec-secret-0123456789';
const LOGIN_LIMIT = 5;
const DEFAULT_LIMIT = 30;

async function post(url: string, body: unknown): Promise<{ status: number; code?: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, code: ((await res.json()) as { code?: string }).code };
}

/** Shared rate limits (docs/operations.md, "Shared rate limits"): N replicas enforce one limit. */
describe('rate limits shared through Redis (system)', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  const started: ServiceProcess[] = [];

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: db.url,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT),
    RATE_LIMIT_PER_MINUTE: String(DEFAULT_LIMIT),
    ...extra,
  });

  async function pair(extra: Record<string, string> = {}): Promise<[ServiceProcess, ServiceProcess]> {
    const a = await startService({ env: env(extra), waitFor: '/health/ready' });
    const b = await startService({ env: env(extra), waitFor: '/health/ready' });
    started.push(a, b);
    return [a, b];
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop(10_000)));
    await redis?.stop();
    await db?.drop();
  });

  it('two instances sharing REDIS_URL together allow exactly the configured limits', async () => {
    const [a, b] = await pair({ REDIS_URL: redis.url });
    // Login attempts per (e-mail, address), alternating between the instances.
    const attempts = [];
    for (let i = 0; i < LOGIN_LIMIT * 2 + 2; i += 1) {
      attempts.push(
        await post(`${(i % 2 === 0 ? a : b).url}/v1/auth/login`, {
          email: 'nobody-shared@example.test',
          password: 'wrong-password-1',
        }),
      );
    }
    expect(attempts.filter((r) => r.status === 401 && r.code === 'INVALID_CREDENTIALS')).toHaveLength(
      LOGIN_LIMIT,
    );
    expect(attempts.filter((r) => r.status === 429 && r.code === 'RATE_LIMITED')).toHaveLength(
      LOGIN_LIMIT + 2,
    );
    expect(attempts.slice(0, LOGIN_LIMIT).every((r) => r.status === 401)).toBe(true);

    // The default limit per signed-in user.
    const email = 'limited@example.test';
    const password = 'limited-password-1';
    expect((await post(`${a.url}/v1/auth/register`, { email, password, name: 'L' })).status).toBe(201);
    const { accessToken } = await signIn(new HttpClient(b.url), { email, password });
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_LIMIT + 10; i += 1) {
      const res = await fetch(`${(i % 2 === 0 ? a : b).url}/v1/users/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(DEFAULT_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  }, 90_000);

  it('keeps answering when Redis goes away, and then counts limits in each instance', async () => {
    const a = await startService({ env: env({ REDIS_URL: redis.url }), waitFor: '/health/ready' });
    started.push(a);
    await redis.stop();
    const results = [];
    for (let i = 0; i < LOGIN_LIMIT + 1; i += 1)
      results.push(
        await post(`${a.url}/v1/auth/login`, {
          email: 'after-redis@example.test',
          password: 'wrong-password-1',
        }),
      );
    expect(results.map((r) => r.code)).toEqual([
      ...Array.from({ length: LOGIN_LIMIT }, () => 'INVALID_CREDENTIALS'),
      'RATE_LIMITED',
    ]);
    expect(a.process.exitCode).toBeNull();
  }, 60_000);

  it('without Redis, each instance counts alone (the control: the shared store is what makes one limit)', async () => {
    const [a, b] = await pair();
    const attempts = [];
    for (let i = 0; i < LOGIN_LIMIT * 2 + 2; i += 1) {
      attempts.push(
        await post(`${(i % 2 === 0 ? a : b).url}/v1/auth/login`, {
          email: 'nobody-local@example.test',
          password: 'wrong-password-1',
        }),
      );
    }
    expect(attempts.filter((r) => r.status === 401)).toHaveLength(LOGIN_LIMIT * 2);
  }, 90_000);
});
