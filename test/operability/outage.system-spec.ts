import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/database/embedded';
import { HttpClient, signIn } from '../helpers/http-client';
import { ServiceProcess, startService } from '../helpers/service';
import { PgServer, startPgServer } from '../helpers/pg-server';

const PASSWORD = 'outage-spec-password';
const JWT_SECRET = 'outage-spec-secret-outage-spec-secret-0123456';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Answer {
  kind: 'read' | 'write';
  status: number;
  ms: number;
  code?: string;
  retryAfter?: string | null;
  email?: string;
  at: number;
}

/**
 * Database outage (docs/operations.md, "Database outages"): the PostgreSQL server itself is stopped under load and
 * started again on the same port. The spec runs its own embedded PostgreSQL for that (the run's
 * shared server must stay up for the other specs).
 */
describe('database outage and recovery (system)', () => {
  let dir: string;
  let port: number;
  let pg: PgServer | undefined;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-outage-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user
    port = await freePort();
    pg = await startPgServer(dir, PASSWORD, port);
    service = await startService({
      env: { DATABASE_URL: pg.url, JWT_SECRET, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000000' },
      waitFor: '/health/ready',
    });
  }, 120_000);

  afterAll(async () => {
    await service?.stop(10_000);
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    kind: Answer['kind'],
    path: string,
    init: RequestInit,
    email?: string,
  ): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(`${service!.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    return {
      kind,
      status: res.status,
      ms: Date.now() - started,
      code: body.code,
      retryAfter: res.headers.get('retry-after'),
      email,
      at: started,
    };
  }

  const status = async (path: string): Promise<number> => (await fetch(`${service!.url}${path}`)).status;

  it('answers 503 fast while the database is down, stays alive, and recovers by itself; no 201 is lost', async () => {
    const headers = { 'content-type': 'application/json' };
    const password = 'outage-password-1';
    const first = await call('write', '/v1/auth/register', {
      method: 'POST',
      headers,
      body: JSON.stringify({ email: 'reader@example.test', password, name: 'Reader' }),
    });
    expect(first.status).toBe(201);
    const { auth } = await signIn(new HttpClient(service!.url), { email: 'reader@example.test', password });

    // Load: four readers (authenticated: the guard reads the session) and one writer (register = a
    // transaction with its audit entry), until stopped.
    const answers: Answer[] = [];
    let running = true;
    let n = 0;
    const readers = Array.from({ length: 4 }, async () => {
      while (running) answers.push(await call('read', '/v1/users/me', { headers: auth }));
    });
    const writer = (async () => {
      while (running) {
        n += 1;
        const email = `w${n}@example.test`;
        answers.push(
          await call(
            'write',
            '/v1/auth/register',
            { method: 'POST', headers, body: JSON.stringify({ email, password, name: 'W' }) },
            email,
          ),
        );
        await sleep(20);
      }
    })();
    await sleep(1000);

    // Outage.
    const stoppedAt = Date.now();
    await pg!.stop();
    let readyDownAfterMs = -1;
    while (Date.now() - stoppedAt < 10_000) {
      if ((await status('/health/ready')) === 503) {
        readyDownAfterMs = Date.now() - stoppedAt;
        break;
      }
      await sleep(100);
    }
    await sleep(3000);
    const liveDuringOutage = await fetch(`${service!.url}/health/live`);
    const readyBody = (await (await fetch(`${service!.url}/health/ready`)).json()) as {
      status: string;
      error: Record<string, unknown>;
    };
    const aliveDuringOutage = service!.process.exitCode === null;

    // Recovery, on the same port: no restart of the service.
    const restartedAt = Date.now();
    pg = await startPgServer(dir, PASSWORD, port);
    let readyAgainAfterMs = -1;
    while (Date.now() - restartedAt < 15_000) {
      if ((await status('/health/ready')) === 200) {
        readyAgainAfterMs = Date.now() - restartedAt;
        break;
      }
      await sleep(100);
    }
    await sleep(1500);
    running = false;
    await Promise.all([...readers, writer]);

    // Readiness followed the database; liveness did not.
    expect(readyDownAfterMs).toBeGreaterThanOrEqual(0);
    expect(readyDownAfterMs).toBeLessThan(5000);
    expect(readyBody.status).toBe('error');
    expect(Object.keys(readyBody.error)).toContain('database');
    expect(liveDuringOutage.status).toBe(200);
    expect(aliveDuringOutage).toBe(true);
    expect(readyAgainAfterMs).toBeGreaterThanOrEqual(0);
    expect(readyAgainAfterMs).toBeLessThan(10_000);

    // Every answer is a success or a fast 503 SERVICE_UNAVAILABLE with Retry-After: nothing else, no hang.
    const outageAnswers = answers.filter((a) => a.status === 503);
    expect(outageAnswers.length).toBeGreaterThan(10);
    expect(outageAnswers.filter((a) => a.code !== 'SERVICE_UNAVAILABLE' || !a.retryAfter)).toEqual([]);
    // Reads: the database is the only thing they wait for. Writes (register) first spend argon2 time,
    // CPU that a busy machine stretches; their bound only shows they never wait out a timeout.
    expect(outageAnswers.filter((a) => a.kind === 'read' && a.ms >= 1000)).toEqual([]);
    expect(outageAnswers.filter((a) => a.kind === 'write' && a.ms >= 3000)).toEqual([]);
    expect(answers.filter((a) => ![200, 201, 503].includes(a.status))).toEqual([]);
    // Work resumed after recovery, for reads and writes.
    const after = answers.filter((a) => a.at > restartedAt + readyAgainAfterMs);
    expect(after.filter((a) => a.kind === 'read' && a.status === 200).length).toBeGreaterThan(0);
    expect(after.filter((a) => a.kind === 'write' && a.status === 201).length).toBeGreaterThan(0);

    // Every 201 (before and after the outage) has its row.
    const created = answers.filter((a) => a.kind === 'write' && a.status === 201).map((a) => a.email!);
    const client = new Client({ connectionString: pg!.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const rows = (
        await client.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1)', [created])
      ).rows;
      expect(rows.map((r) => r.email).sort()).toEqual([...created].sort());
    } finally {
      await client.end();
    }
  }, 90_000);
});
