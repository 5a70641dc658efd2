import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from './provider';
import { parseHeader, parseSampleValue, PrometheusProvider, valueOf } from './prometheus';

const vector = (...values: string[]) => ({
  status: 'success' as const,
  data: {
    resultType: 'vector',
    result: values.map((v) => ({ metric: {}, value: [1, v] as [number, string] })),
  },
});

describe('Prometheus answers', () => {
  it.each([
    ['a one-sample vector', vector('0.25'), 0.25],
    ['an empty vector is no data (NaN)', vector(), NaN],
    ['a NaN sample (0/0)', vector('NaN'), NaN],
    ['+Inf', vector('+Inf'), Infinity],
    [
      'a scalar',
      { status: 'success' as const, data: { resultType: 'scalar', result: [1, '3'] as [number, string] } },
      3,
    ],
  ])('%s', (_n, body, expected) => {
    expect(valueOf(body)).toBe(expected);
  });

  it('refuses several series and error answers', () => {
    expect(() => valueOf(vector('1', '2'))).toThrow(/2 series/);
    expect(() => valueOf({ status: 'error', error: 'parse error at char 5' })).toThrow(ProviderError);
  });

  it('parses special floats', () => {
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('12.5')).toBe(12.5);
  });
});

type Seen = { url: string; headers: IncomingMessage['headers'] };

/** A local server answering every request with `reply`; records what it was sent. */
async function serve(
  reply: (req: IncomingMessage, res: ServerResponse) => void,
  make: (h: (req: IncomingMessage, res: ServerResponse) => void) => Server = (h) => createHttpServer(h),
): Promise<{ url: (scheme?: string) => string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = make((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    reply(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (scheme = 'http') => `${scheme}://127.0.0.1:${port}/`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

describe('PrometheusProvider', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prom-provider-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('queries /api/v1/query with the PromQL, accepting JSON', async () => {
    const s = await serve(json(200, vector('42')));
    try {
      await expect(new PrometheusProvider({ address: s.url() }).query('sum(up)')).resolves.toBe(42);
      expect(s.seen[0].url).toBe('/api/v1/query?query=sum%28up%29');
      expect(s.seen[0].headers.authorization).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('sends the bearer token and extra headers (a tenant for Mimir/Cortex/Thanos)', async () => {
    const s = await serve(json(200, vector('1')));
    try {
      const p = new PrometheusProvider({
        address: s.url(),
        token: 's3cret',
        headers: ['X-Scope-OrgID: shop-staging', 'X-Extra:  two words '],
      });
      await p.query('up');
      expect(s.seen[0].headers).toMatchObject({
        authorization: 'Bearer s3cret',
        'x-scope-orgid': 'shop-staging',
        'x-extra': 'two words',
      });
    } finally {
      await s.close();
    }
  });

  it('re-reads the token file on every query (rotated tokens keep working)', async () => {
    const s = await serve(json(200, vector('1')));
    const file = join(dir, 'token');
    try {
      writeFileSync(file, 'first\n');
      const p = new PrometheusProvider({ address: s.url(), tokenFile: file, token: 'ignored' });
      await p.query('up');
      writeFileSync(file, 'second\n');
      await p.query('up');
      expect(s.seen.map((x) => x.headers.authorization)).toEqual(['Bearer first', 'Bearer second']);
    } finally {
      await s.close();
    }
  });

  it('says what to do when Prometheus wants a token', async () => {
    const s = await serve((_q, res) => res.writeHead(401).end('Unauthorized'));
    try {
      await expect(new PrometheusProvider({ address: s.url() }).query('up')).rejects.toThrow(
        /answered 401: it needs a token \(PROMETHEUS_TOKEN or --prometheus-token-file\)/,
      );
      await expect(new PrometheusProvider({ address: s.url(), token: 'old' }).query('up')).rejects.toThrow(
        /answered 401: the token was refused/,
      );
    } finally {
      await s.close();
    }
  });

  it('refuses headers that are not headers (no CR/LF injection)', () => {
    expect(parseHeader('X-Scope-OrgID: a')).toEqual(['X-Scope-OrgID', 'a']);
    expect(() => parseHeader('no colon')).toThrow(/not an HTTP header/);
    expect(() => parseHeader('X-A: b\r\nX-B: c')).toThrow(/not an HTTP header/);
    expect(() => new PrometheusProvider({ address: 'http://prom:9090', headers: ['bad header: x'] })).toThrow(
      /not an HTTP header/,
    );
  });

  it('turns an unreachable server into a ProviderError', async () => {
    const s = await serve(json(200, vector('1')));
    const url = s.url();
    await s.close();
    await expect(new PrometheusProvider({ address: url }).query('up')).rejects.toThrow(
      /unreachable: ECONNREFUSED/,
    );
  });

  it('turns a bad query into a ProviderError with Prometheus’ message', async () => {
    const s = await serve(json(400, { status: 'error', error: 'bad_data: parse error' }));
    try {
      await expect(new PrometheusProvider({ address: s.url() }).query('sum(')).rejects.toThrow(/parse error/);
    } finally {
      await s.close();
    }
  });

  it('turns a non-JSON answer into a ProviderError', async () => {
    const s = await serve((_q, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    try {
      await expect(new PrometheusProvider({ address: s.url() }).query('up')).rejects.toThrow(
        /502 without JSON/,
      );
    } finally {
      await s.close();
    }
  });

  describe('over TLS', () => {
    let key: Buffer;
    let cert: Buffer;
    const caFile = join(dir, 'ca.pem');
    beforeAll(() => {
      // A self-signed certificate for 127.0.0.1: its own CA.
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          caFile,
        ],
        { stdio: 'ignore' },
      );
      key = readFileSync(join(dir, 'key.pem'));
      cert = readFileSync(caFile);
    });
    const https = () => serve(json(200, vector('7')), (h) => createHttpsServer({ key, cert }, h));

    it('refuses a certificate that does not chain to a known CA', async () => {
      const s = await https();
      try {
        await expect(new PrometheusProvider({ address: s.url('https') }).query('up')).rejects.toThrow(
          /unreachable: .*(SELF_SIGNED|self-signed|certificate)/i,
        );
      } finally {
        await s.close();
      }
    });

    it('verifies against the given CA file', async () => {
      const s = await https();
      try {
        await expect(new PrometheusProvider({ address: s.url('https'), caFile }).query('up')).resolves.toBe(
          7,
        );
      } finally {
        await s.close();
      }
    });

    it('skips verification only when asked to', async () => {
      const s = await https();
      try {
        await expect(
          new PrometheusProvider({ address: s.url('https'), insecureSkipVerify: true }).query('up'),
        ).resolves.toBe(7);
      } finally {
        await s.close();
      }
    });

    it('refuses a CA file for plain http', () => {
      expect(() => new PrometheusProvider({ address: 'http://prom:9090', caFile })).toThrow(/https:\/\//);
    });
  });
});
