import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { userOf } from '../common/auth-user';
import { clientAddress } from '../common/http/client-address';
import { tracing } from '../tracing/tracing';
import { routeTemplate } from './route-template';

/**
 * One JSON line per request, written when the response is finished (whatever produced it). The
 * logger given here does not redact (see `createAccessLogger`): the line holds exactly these fields,
 * none of which can carry a secret — never add headers, the URL's query or a body to it.
 */
export function installAccessLog(fastify: FastifyInstance, logger: Logger): void {
  const traces = tracing();
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const line = {
      requestId: request.id,
      method: request.method,
      route: routeTemplate(request),
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      userId: userOf(request)?.id,
      // The client as TRUST_PROXY lets Fastify determine it, never a raw X-Forwarded-For.
      clientIp: clientAddress(request),
      // trace_id and span_id of the request's span when tracing is on (docs/tracing.md).
      ...traces?.logFieldsOf(request),
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
    done();
  });
}
