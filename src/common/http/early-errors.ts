import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error';
import type { ErrorCode } from '../errors/error-codes';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Answers produced before a request reaches Nest (issue 14, finding 8) in the API's one shape: an
 * RFC 9457 problem with a request id, helmet's security headers, and nothing of the raw request
 * (a path, a header) echoed. Two doors lead here:
 * - Node's HTTP parser refusing the bytes (bad framing, headers over the size limit, the header or
 *   request timeout): Fastify's `clientErrorHandler`, with only the socket, so the answer is written
 *   as raw HTTP and the connection closed (the stream cannot be trusted any more);
 * - Fastify's router refusing the URL (undecodable `%zz`, a path parameter over `maxParamLength`):
 *   Fastify's `frameworkErrors`, with a reply, but before the hooks that add the usual headers.
 */

/** The options helmet is registered with (src/app.factory.ts); the early answers use the same. */
export const HELMET_OPTIONS = {};

let helmetHeaders: Record<string, string> | undefined;

/** The headers helmet puts on every answer, computed once by helmet itself. */
export function securityHeaders(): Record<string, string> {
  if (!helmetHeaders) {
    const headers: Record<string, string> = {};
    const recorder = {
      setHeader: (name: string, value: unknown) => void (headers[name] = String(value)),
      removeHeader: (name: string) => void delete headers[name],
    };
    helmet(HELMET_OPTIONS)({} as never, recorder as never, () => undefined);
    helmetHeaders = headers;
  }
  return helmetHeaders;
}

/** The problem code for a refusal of Node's HTTP parser (`clientError`). */
export function clientErrorCode(error: { code?: string }): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'BAD_REQUEST';
}

/** The whole HTTP/1.1 answer for a connection the parser gave up on. */
export function rawProblemResponse(code: ErrorCode, requestId: string): string {
  const { problem } = toProblem(new AppError(code), requestId);
  const body = JSON.stringify(problem);
  const headers: Record<string, string | number> = {
    ...securityHeaders(),
    'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(body),
    'X-Request-Id': requestId,
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler`. The caller's X-Request-Id cannot be read here: a new one is made. */
export function clientErrorHandler(
  logger: Logger,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    // A reset or closed connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code = clientErrorCode(error);
    const requestId = randomUUID();
    logger.info({ requestId, code, reason: error.code }, 'request refused by the HTTP parser');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(rawProblemResponse(code, requestId), () => socket.destroy());
  };
}

/** Fastify's router errors by their code; anything else it reports there is unexpected. */
const ROUTER_CODES: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** Fastify's `frameworkErrors`: the request id is the caller's (when valid) or a new one. */
export function frameworkErrorHandler(
  logger: Logger,
): (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const code = ROUTER_CODES[error.code ?? ''] ?? 'INTERNAL_ERROR';
    const { problem } = toProblem(new AppError(code), request.id);
    const log = code === 'INTERNAL_ERROR' ? logger.error.bind(logger) : logger.info.bind(logger);
    log({ requestId: request.id, code, reason: error.code }, 'request refused by the router');
    void reply
      .headers({ ...securityHeaders(), [REQUEST_ID_HEADER]: request.id })
      .code(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem);
  };
}
