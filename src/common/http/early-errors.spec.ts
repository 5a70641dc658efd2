import { clientErrorCode, rawProblemResponse, securityHeaders } from './early-errors';

describe('answers before Nest', () => {
  it("uses helmet's own headers", () => {
    const headers = securityHeaders();
    expect(headers).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': expect.stringContaining('max-age='),
      'X-Frame-Options': 'SAMEORIGIN',
      'Content-Security-Policy': expect.stringContaining("default-src 'self'"),
    });
    expect(headers['X-Powered-By']).toBeUndefined();
  });

  it("maps the HTTP parser's refusals to problem codes", () => {
    expect(clientErrorCode({ code: 'HPE_HEADER_OVERFLOW' })).toBe('HEADERS_TOO_LARGE');
    expect(clientErrorCode({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })).toBe('REQUEST_TIMEOUT');
    expect(clientErrorCode({ code: 'HPE_INVALID_METHOD' })).toBe('BAD_REQUEST');
    expect(clientErrorCode({})).toBe('BAD_REQUEST');
  });

  it('writes a complete HTTP/1.1 problem answer that closes the connection', () => {
    const text = rawProblemResponse('HEADERS_TOO_LARGE', 'rid-1');
    const [head, body] = text.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head).toContain('\r\nX-Request-Id: rid-1');
    expect(head).toContain('\r\nConnection: close');
    expect(head).toContain(`\r\nContent-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', requestId: 'rid-1' });
  });
});
