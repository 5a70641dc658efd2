import cors from '@fastify/cors';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream, Logger } from 'pino';
import { AppModule } from './app.module';
import { Lifecycle } from './common/lifecycle';
import { clientErrorHandler, frameworkErrorHandler, securityHeaders } from './common/http/early-errors';
import { installLenientJsonParser } from './common/http/malformed-body';
import { SERVER_TIMEOUTS } from './common/http/server-timeouts';
import { REQUEST_ID_HEADER, requestIdFor } from './common/http/request-id';
import { installRequestScopes } from './database/request-scope';
import type { AppConfig } from './config/config';
import { fastifyTrustProxy } from './config/trust-proxy';
import { setupOpenApi } from './docs/openapi';
import { installFaultInjection } from './faults/fault-injection';
import { installAccessLog } from './logging/access-log';
import { createAccessLogger, createLogger, stdoutDestination } from './logging/logger';
import { NestPinoAdapter } from './logging/nest-logger';
import { installHttpMetrics } from './metrics/http-metrics';
import { tracing } from './tracing/tracing';
import { MetricsService } from './metrics/metrics.service';

export const BODY_LIMIT_BYTES = 100 * 1024;

export interface CreateAppOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
}

export interface BulwarkApp {
  app: NestFastifyApplication;
  logger: Logger;
}

/**
 * Builds the whole HTTP application, ready to `listen` (main.ts) or to `inject` requests (tests).
 * `config.databaseUrl` must already be resolved (see src/runtime.ts for the embedded database).
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<BulwarkApp> {
  const destination = options.logDestination ?? stdoutDestination();
  const logger = createLogger(config, destination);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: requestIdFor,
    requestIdHeader: false,
    // On close: idle keep-alive sockets are closed at once, in-flight requests finish.
    forceCloseConnections: 'idle',
    // Bounds on slow or silent clients (src/common/http/server-timeouts.ts).
    keepAliveTimeout: SERVER_TIMEOUTS.keepAliveTimeoutMs,
    requestTimeout: SERVER_TIMEOUTS.requestTimeoutMs,
    http: {
      headersTimeout: SERVER_TIMEOUTS.headersTimeoutMs,
      connectionsCheckingInterval: SERVER_TIMEOUTS.checkIntervalMs,
    },
    // Answers given before Nest sees the request are problem documents too.
    clientErrorHandler: clientErrorHandler(logger),
    frameworkErrors: frameworkErrorHandler(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, logger), adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Our own JSON parser is installed below (src/common/http/malformed-body.ts).
    bodyParser: false,
  });
  app.useLogger(new NestPinoAdapter(logger));

  const fastify = app.getHttpAdapter().getInstance();
  const lifecycle = app.get(Lifecycle);
  tracing()?.installHttp(fastify);
  installRequestScopes(fastify);
  // helmet's headers are the same on every answer: computed once by helmet itself (with the options
  // the early answers use), set in one go. Registering @fastify/helmet instead re-ran helmet's
  // middleware, CSP directive parsing included, on every request (docs/performance.md).
  const security = Object.entries(securityHeaders()).map(([name, value]) => [name.toLowerCase(), value]);
  fastify.addHook('onRequest', (request, reply, done) => {
    (request.raw as { id?: string }).id = request.id;
    for (const [name, value] of security) void reply.header(name, value);
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, ask keep-alive clients to reconnect (to an instance that is not going away).
    if (lifecycle.shuttingDown) void reply.header('connection', 'close');
    done(null, payload);
  });
  installLenientJsonParser(fastify);
  installAccessLog(fastify, createAccessLogger(config, destination));
  installHttpMetrics(fastify, app.get(MetricsService));
  installFaultInjection(fastify, config.faults, logger);

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      credentials: false,
      exposedHeaders: ['X-Request-Id', 'ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'],
    });
  }

  setupOpenApi(app, config);
  await app.init();
  await fastify.ready();
  return { app, logger };
}
