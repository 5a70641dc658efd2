import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SERVER_TIMEOUTS } from '../../src/common/http/server-timeouts';
import { createTestApp, TestApp } from '../helpers/app';

/**
 * Connections that send nothing, or half a request, are closed by the server (issue 14, finding 9),
 * with a 408 problem. No timing is asserted: only that the server, not the client, ends them.
 */
function holdOpen(port: number, bytes: string): Promise<{ answer: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (bytes) socket.write(bytes);
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    // The client never ends or destroys the socket: only the server can close it.
    socket.on('close', () => resolve({ answer, closedByServer: true }));
  });
}

describe('slow and silent clients (e2e)', () => {
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

  it('runs the HTTP server with the documented bounds', () => {
    const server = t.app.getHttpServer();
    expect(server.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(SERVER_TIMEOUTS.requestTimeoutMs);
    expect(server.keepAliveTimeout).toBe(SERVER_TIMEOUTS.keepAliveTimeoutMs);
    expect(SERVER_TIMEOUTS.headersTimeoutMs).toBeLessThanOrEqual(SERVER_TIMEOUTS.requestTimeoutMs);
  });

  it(
    'closes a connection that sends nothing, half the headers, or half a body, answering 408 problem',
    async () => {
      const outcomes = await Promise.all([
        holdOpen(port, ''),
        holdOpen(port, 'GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Slow: '),
        holdOpen(
          port,
          'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"email":',
        ),
      ]);
      for (const { answer, closedByServer } of outcomes) {
        expect(closedByServer).toBe(true);
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(answer).toMatch(/content-type: application\/problem\+json/i);
        const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
        expect(body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT', requestId: expect.any(String) });
      }
      // The service still answers everyone else.
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    },
    SERVER_TIMEOUTS.requestTimeoutMs + 30_000,
  );
});
