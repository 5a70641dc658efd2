import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { HttpClient } from '../helpers/http-client';
import { startService } from '../helpers/service';

/**
 * How the service's own connections reach its embedded database, seen from the server: a Unix-socket
 * client has no address and port -1 in pg_stat_activity (https://www.postgresql.org/docs/current/monitoring-stats.html).
 */
async function serviceConnections(dataDir: string, output: string): Promise<Array<{ socket: boolean }>> {
  const started = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; port?: number })
    .find((l) => l.msg === 'embedded PostgreSQL: started');
  const { postgresPassword } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
    postgresPassword: string;
  };
  const client = new Client({
    host: '127.0.0.1',
    port: started?.port,
    user: 'postgres',
    password: postgresPassword,
    database: 'bulwark',
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ socket: boolean }>(
      "SELECT client_port = -1 AND client_addr IS NULL AS socket FROM pg_stat_activity WHERE application_name LIKE 'bulwark-%'",
    );
    return rows;
  } finally {
    await client.end();
  }
}

/**
 * The README's run command in miniature: no DATABASE_URL, an empty DATA_DIR → the service starts its
 * own PostgreSQL, initialises it, migrates, serves; a second start reuses the cluster and the data.
 */
describe('embedded PostgreSQL across restarts (system)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-embedded-'));
  chmodSync(dataDir, 0o755);
  const env = {
    DATABASE_URL: undefined,
    DATA_DIR: dataDir,
    JWT_SECRET: undefined,
    SHUTDOWN_DELAY_MS: '0',
    LOGIN_RATE_LIMIT_PER_MINUTE: '100',
  };
  const user = { email: 'Persisted.User@Example.com', password: 'correct horse battery', name: 'Persisted' };

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps its data and its cluster from one start to the next', async () => {
    const first = await startService({ env, waitFor: '/health/ready', timeoutMs: 120_000 });
    try {
      expect(first.output()).toContain('initialising a new cluster');
      const registered = await new HttpClient(first.url).call('POST', '/v1/auth/register', user);
      expect(registered.status).toBe(201);
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startService({ env, waitFor: '/health/ready', timeoutMs: 120_000 });
    try {
      expect(second.output()).not.toContain('initialising a new cluster');
      const login = await new HttpClient(second.url).call('POST', '/v1/auth/login', {
        email: user.email.toLowerCase(),
        password: user.password,
      });
      expect(login.status).toBe(200);
      expect(login.body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String) });
      // The service talks to its own database through the Unix socket, not TCP loopback.
      const connections = await serviceConnections(dataDir, second.output());
      expect(connections.length).toBeGreaterThan(0);
      expect(connections).toEqual(connections.map(() => ({ socket: true })));
    } finally {
      expect(await second.stop()).toBe(0);
    }
    // Two starts of up to 120 s each (initdb alone takes tens of seconds on a busy 2-core machine).
  }, 300_000);
});
