import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.BULWARK_TEST_ADMIN_URL;
  if (!url) throw new Error('BULWARK_TEST_ADMIN_URL is not set: run specs through jest (global setup)');
  return url;
}

export async function adminQuery(sql: string, params: unknown[] = [], admin = adminUrl()): Promise<void> {
  const client = new Client({ connectionString: admin });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the run's PostgreSQL server (or the one `admin` names); `drop()` removes it. */
export async function createTestDatabase(prefix = 'bulwark_t', admin = adminUrl()): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`, [], admin);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, [], admin),
  };
}
