import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { securityHeaders } from '../../src/common/http/early-errors';
import { createTestApp, TestApp } from '../helpers/app';

/**
 * Answers Fastify or Node give before Nest sees a request (issue 14, finding 8), over real sockets
 * against the whole application: each is a problem document with a request id that matches its
 * X-Request-Id header, carries helmet's headers, and echoes nothing of what was sent.
 */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
}

/** Sends bytes as they are and reads the first answer; `closed` says whether the server hung up. */
function send(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: rest.join('\r\n\r\n'),
        closed: true,
      });
    });
    // Every case below ends with the server closing the connection; the test's own timeout bounds it.
  });
}

const HTTP = (lines: string[], body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

function expectProblemAnswer(answer: RawAnswer, status: number, code: string, mustNotEcho: string[] = []) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(problem.requestId).toEqual(expect.any(String));
  expect(answer.headers['x-request-id']).toBe(problem.requestId);
  for (const [name, value] of Object.entries(securityHeaders()))
    expect(answer.headers[name.toLowerCase()]).toBe(value);
  expect(answer.headers['x-powered-by']).toBeUndefined();
  for (const text of mustNotEcho) expect(answer.body).not.toContain(text);
  expect(answer.body).not.toMatch(/FST_|HPE_|statusCode|"error"/);
  return problem;
}

describe('answers produced before Nest (e2e, raw sockets)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  it('bad framing (Content-Length with Transfer-Encoding) → 400 problem', async () => {
    const answer = await send(
      port,
      HTTP(['POST /v1/auth/login HTTP/1.1', 'Host: x', 'Content-Length: 5', 'Transfer-Encoding: chunked']),
    );
    expectProblemAnswer(answer, 400, 'BAD_REQUEST');
  });

  it('a request line that is not HTTP → 400 problem', async () => {
    expectProblemAnswer(await send(port, 'HELLO /etc/passwd\r\n\r\n'), 400, 'BAD_REQUEST', ['/etc/passwd']);
  });

  it('headers over the size limit → 431 problem', async () => {
    const answer = await send(
      port,
      HTTP(['GET /v1/orders HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(20_000)}`]),
    );
    expectProblemAnswer(answer, 431, 'HEADERS_TOO_LARGE', ['aaaa']);
  });

  it('an overlong URL → 431 problem, the URL not echoed', async () => {
    const path = `/v1/orders?cursor=${'z'.repeat(20_000)}`;
    expectProblemAnswer(
      await send(port, HTTP([`GET ${path} HTTP/1.1`, 'Host: x'])),
      431,
      'HEADERS_TOO_LARGE',
      ['zzzz', '/v1/orders'],
    );
  });

  it('an undecodable path (/v1/orders/%zz, FST_ERR_BAD_URL) → 400 problem with the caller request id, no echo', async () => {
    const answer = await send(
      port,
      HTTP(['GET /v1/orders/%zz HTTP/1.1', 'Host: x', 'X-Request-Id: bad-url-1', 'Connection: close']),
    );
    const problem = expectProblemAnswer(answer, 400, 'BAD_REQUEST', ['%zz', '/v1/orders']);
    expect(problem.requestId).toBe('bad-url-1');
  });

  it('an id over 100 characters (FST_ERR_MAX_PARAM_LENGTH) → 414 problem, no echo', async () => {
    const id = 'i'.repeat(101);
    const answer = await send(port, HTTP([`GET /v1/orders/${id} HTTP/1.1`, 'Host: x', 'Connection: close']));
    expectProblemAnswer(answer, 414, 'URI_TOO_LONG', [id, '/v1/orders']);
  });

  it('an unsupported content type → 415 problem', async () => {
    const answer = await send(
      port,
      HTTP(
        [
          'POST /v1/auth/login HTTP/1.1',
          'Host: x',
          'Content-Type: text/xml',
          'Content-Length: 7',
          'Connection: close',
        ],
        '<a></a>',
      ),
    );
    expectProblemAnswer(answer, 415, 'UNSUPPORTED_MEDIA_TYPE', ['text/xml']);
  });

  it('a body the JSON parser refuses → 400 MALFORMED_JSON problem', async () => {
    const answer = await send(
      port,
      HTTP(
        [
          'POST /v1/auth/login HTTP/1.1',
          'Host: x',
          'Content-Type: application/json',
          'Content-Length: 9',
          'Connection: close',
        ],
        '{"a":1,,}',
      ),
    );
    expectProblemAnswer(answer, 400, 'MALFORMED_JSON', ['"a":1']);
  });

  it('a declared body over 100 KiB → 413 problem without reading it', async () => {
    const answer = await send(
      port,
      HTTP([
        'POST /v1/auth/login HTTP/1.1',
        'Host: x',
        'Content-Type: application/json',
        'Content-Length: 5000000',
        'Connection: close',
      ]),
    );
    expectProblemAnswer(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a real HTTP client gets the same shape for %zz and an overlong id', async () => {
    for (const [path, status] of [
      ['/v1/orders/%zz', 400],
      [`/v1/products/${'p'.repeat(150)}`, 414],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { 'x-request-id': 'fetch-early' },
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('x-request-id')).toBe('fetch-early');
      expect(res.headers.get('strict-transport-security')).toBe(
        securityHeaders()['Strict-Transport-Security'],
      );
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ status, requestId: 'fetch-early' });
      expect(text).not.toContain(path.slice(4, 20));
    }
  });
});
