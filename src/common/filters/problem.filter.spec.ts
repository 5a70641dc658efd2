import type { ArgumentsHost } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error';
import { ProblemFilter } from './problem.filter';

function fakeReply() {
  const reply = {
    sent: false,
    status: 0,
    type_: '',
    headers_: {} as Record<string, string>,
    body: undefined as unknown,
    headers(h: Record<string, string>) {
      Object.assign(this.headers_, h);
      return this;
    },
    code(c: number) {
      this.status = c;
      return this;
    },
    type(t: string) {
      this.type_ = t;
      return this;
    },
    send(b: unknown) {
      this.body = b;
      return this;
    },
  };
  return reply;
}

function hostFor(reply: ReturnType<typeof fakeReply>): ArgumentsHost {
  const request = { id: 'req-42', url: '/v1/orders?x=1' };
  return {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
}

describe('ProblemFilter', () => {
  it('sends a domain error as application/problem+json with its headers', () => {
    const logger = { error: jest.fn() } as unknown as Logger;
    const reply = fakeReply();
    new ProblemFilter(logger).catch(
      new AppError('RATE_LIMITED', 'Slow down.', { headers: { 'Retry-After': '12' } }),
      hostFor(reply),
    );
    expect(reply.status).toBe(429);
    expect(reply.type_).toBe('application/problem+json');
    expect(reply.headers_).toEqual({ 'Retry-After': '12' });
    expect(reply.body).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      requestId: 'req-42',
      detail: 'Slow down.',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('logs an unexpected error with the request id and answers a bare 500', () => {
    const logger = { error: jest.fn() } as unknown as Logger;
    const reply = fakeReply();
    const boom = new Error('relation "secret_table" does not exist');
    new ProblemFilter(logger).catch(boom, hostFor(reply));
    expect(reply.status).toBe(500);
    expect(JSON.stringify(reply.body)).not.toContain('secret_table');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ err: boom, requestId: 'req-42', path: '/v1/orders' }),
      'unexpected error',
    );
  });

  it('answers a database outage met anywhere in the request as SERVICE_UNAVAILABLE with Retry-After', () => {
    const logger = { error: jest.fn(), warn: jest.fn() } as unknown as Logger;
    const reply = fakeReply();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    new ProblemFilter(logger).catch(refused, hostFor(reply));
    expect(reply.status).toBe(503);
    expect(reply.headers_).toMatchObject({ 'Retry-After': '1' });
    expect(reply.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', requestId: 'req-42' });
  });

  it('does not write to a reply that was already sent', () => {
    const reply = fakeReply();
    reply.sent = true;
    new ProblemFilter({ error: jest.fn() } as unknown as Logger).catch(
      new AppError('NOT_FOUND'),
      hostFor(reply),
    );
    expect(reply.body).toBeUndefined();
  });
});
