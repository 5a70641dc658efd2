import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { createTestApp, TestApp } from '../helpers/app';
import { uniqueEmail } from '../helpers/auth';

/**
 * Forged `X-Forwarded-For` (issue 14, finding 7). Behind one router (`TRUST_PROXY=1`, what the chart
 * sets), the client is the address that router appended — the right-most entry — whatever the client
 * itself put in front of it. Real HTTP over a socket, Fastify's trustProxy exactly as the
 * configuration parses it; the socket's peer (127.0.0.1) plays the router.
 */
async function listening(trustProxyEnv: string | undefined): Promise<{ t: TestApp; url: string }> {
  const { trustProxy } = loadConfig({ TRUST_PROXY: trustProxyEnv });
  const t = await createTestApp({ trustProxy, loginRateLimitPerMinute: 5, rateLimitPerMinute: 100_000 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, url: `http://127.0.0.1:${port}` };
}

function login(url: string, email: string, forwardedFor: string | undefined, requestId: string) {
  return fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    body: JSON.stringify({ email, password: 'wrong-password-123' }),
  });
}

/** Eight tries for one e-mail, each through `chain(i)`; answers the statuses in order. */
async function eightTries(url: string, email: string, chain: (i: number) => string | undefined, tag: string) {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) statuses.push((await login(url, email, chain(i), `${tag}-${i}`)).status);
  return statuses;
}

const LIMITED = [401, 401, 401, 401, 401, 429, 429, 429];

async function loginFailureIps(t: TestApp, email: string): Promise<string[]> {
  const rows = (await t.app
    .get(DataSource)
    .query(
      `SELECT changes->>'ip' AS ip FROM audit_log WHERE action = 'auth.login_failed' AND changes->>'email' = $1`,
      [email],
    )) as Array<{ ip: string }>;
  return rows.map((row) => row.ip);
}

const accessLines = (t: TestApp, tag: string) =>
  t.logs.filter((line) => line.msg === 'request' && String(line.requestId).startsWith(`${tag}-`));

describe('client addresses behind one trusted proxy (TRUST_PROXY=1, e2e)', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    ({ t, url } = await listening('1'));
  });
  afterAll(async () => {
    await t.close();
  });

  it('a client rotating forged X-Forwarded-For entries stays one client: limit, audit entry and access log carry the real address', async () => {
    const email = uniqueEmail('forged');
    const statuses = await eightTries(url, email, (i) => `10.9.8.${i}, 192.0.2.${i}, 203.0.113.50`, 'forged');
    expect(statuses).toEqual(LIMITED);
    const ips = await loginFailureIps(t, email);
    expect(ips).toHaveLength(5); // the limited tries never reached the service
    expect(new Set(ips)).toEqual(new Set(['203.0.113.50']));
    const lines = accessLines(t, 'forged');
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(line.clientIp).toBe('203.0.113.50');
    expect(t.logText()).not.toMatch(/10\.9\.8\.|192\.0\.2\./);
  });

  it('one IPv4 client spelled as IPv4-mapped IPv6 is one bucket', async () => {
    const email = uniqueEmail('mapped');
    const spellings = [
      '203.0.113.60',
      '::ffff:203.0.113.60',
      '::ffff:cb00:713c',
      '0:0:0:0:0:ffff:203.0.113.60',
    ];
    const statuses = await eightTries(
      url,
      email,
      (i) => `198.51.100.${i}, ${spellings[i % spellings.length]}`,
      'mapped',
    );
    expect(statuses).toEqual(LIMITED);
    expect(new Set(await loginFailureIps(t, email))).toEqual(new Set(['203.0.113.60']));
  });

  it('one IPv6 client rotating through its /64 is one bucket; another /64 is another client', async () => {
    const email = uniqueEmail('six');
    const statuses = await eightTries(url, email, (i) => `2001:db8:aa:bb::${(i + 1).toString(16)}`, 'six');
    expect(statuses).toEqual(LIMITED);
    const elsewhere = await login(url, email, '2001:db8:aa:bc::1', 'six-other');
    expect(elsewhere.status).toBe(401);
    // The audit entries keep each full address; only the limit groups them.
    expect(await loginFailureIps(t, email)).toEqual(
      expect.arrayContaining(['2001:db8:aa:bb::1', '2001:db8:aa:bb::5', '2001:db8:aa:bc::1']),
    );
  });

  it('a different real client (what the router appended) has its own limit', async () => {
    const email = uniqueEmail('two');
    expect(await eightTries(url, email, () => '203.0.113.70', 'two-a')).toEqual(LIMITED);
    expect((await login(url, email, '203.0.113.71', 'two-b')).status).toBe(401);
  });
});

describe('client addresses with trusted proxy CIDRs (TRUST_PROXY=127.0.0.0/8, e2e)', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    ({ t, url } = await listening('127.0.0.0/8'));
  });
  afterAll(async () => {
    await t.close();
  });

  it('skips every trusted hop from the right and takes the first untrusted address', async () => {
    const email = uniqueEmail('cidr');
    const statuses = await eightTries(url, email, (i) => `10.1.1.${i}, 203.0.113.80, 127.0.0.9`, 'cidr');
    expect(statuses).toEqual(LIMITED);
    expect(new Set(await loginFailureIps(t, email))).toEqual(new Set(['203.0.113.80']));
    for (const line of accessLines(t, 'cidr')) expect(line.clientIp).toBe('203.0.113.80');
  });
});

describe('client addresses with no proxy trusted (TRUST_PROXY unset, e2e)', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    ({ t, url } = await listening(undefined));
  });
  afterAll(async () => {
    await t.close();
  });

  it('ignores X-Forwarded-For entirely: the client is the socket peer', async () => {
    const email = uniqueEmail('direct');
    const statuses = await eightTries(url, email, (i) => `203.0.113.${i}`, 'direct');
    expect(statuses).toEqual(LIMITED);
    expect(new Set(await loginFailureIps(t, email))).toEqual(new Set(['127.0.0.1']));
    for (const line of accessLines(t, 'direct')) expect(line.clientIp).toBe('127.0.0.1');
  });
});
