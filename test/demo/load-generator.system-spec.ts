import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from '../helpers/app';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DIST_DIR, ServiceProcess, startService } from '../helpers/service';

/**
 * The demo load generator (k8s/demo-load.yaml runs it in the image) against the built service on a
 * real database: it signs its users up, then its requests land on API routes — the ones the
 * rollout's canary analysis counts — and all succeed. SIGTERM (a deleted Job) ends it cleanly.
 */
jest.setTimeout(90_000);

function generator(args: string[]) {
  const child = spawn(process.execPath, [join(DIST_DIR, 'demo', 'load-generator.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((r) =>
    child.on('exit', (code, signal) => r(code ?? signal ?? -1)),
  );
  return { child, exited, output: () => out };
}

/** Requests the service counted on a route, from /metrics (every status). */
async function counted(service: ServiceProcess, route: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_requests_total{') && l.includes(`route="${route}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('demo load generator (system)', () => {
  let db: TestDatabase;
  let service: ServiceProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startService({
      env: { DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_DELAY_MS: '0' },
      waitFor: '/health/ready',
    });
  });
  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  it('sends its rate of read requests to API routes for the duration, all answered 2xx', async () => {
    const run = generator([
      '--target',
      service.url,
      '--rate',
      '20',
      '--duration',
      '3s',
      '--users',
      '2',
      '--report-every',
      '1s',
    ]);
    expect(await run.exited).toBe(0);
    const done = /done: after \d+s: (\d+) sent, (\d+) 2xx, (\d+) 4xx, (\d+) 5xx, (\d+) failed/.exec(
      run.output(),
    );
    expect(done).not.toBeNull();
    const [sent, ok, client, server, failed] = done!.slice(1).map(Number);
    // 20/s for 3 s is about 60; a loaded machine may fall behind, never ahead.
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(sent).toBeLessThanOrEqual(70);
    expect({ ok, client, server, failed }).toEqual({ ok: sent, client: 0, server: 0, failed: 0 });
    expect(run.output()).toContain('2 users signed in');
    expect(await counted(service, '/v1/products')).toBeGreaterThan(0);
    expect(await counted(service, '/v1/users/me')).toBeGreaterThan(0);
  });

  it('stops cleanly on SIGTERM with its summary', async () => {
    const run = generator(['--target', service.url, '--rate', '10', '--duration', '10m', '--users', '1']);
    const deadline = Date.now() + 30_000;
    while (!run.output().includes('signed in') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/done: after \d+s: \d+ sent/);
  });

  it('refuses a bad command line with its usage (exit 64)', async () => {
    const run = generator(['--rate', '5']);
    expect(await run.exited).toBe(64);
    expect(run.output()).toContain('--target is required');
    expect(run.output()).toContain('usage: node dist/demo/load-generator.js');
  });
});
