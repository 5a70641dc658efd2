import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino, { type Logger } from 'pino';
import { Lifecycle } from './common/lifecycle';
import type { Runtime } from './runtime';
import { tracing } from './tracing/tracing';

/**
 * Graceful shutdown (docs/operations.md, "Shutdown"; podinfo's order): on SIGTERM readiness turns 503 at once;
 * requests are still served for SHUTDOWN_DELAY_MS (with `Connection: close`) while the balancer takes
 * the instance out; then the server stops accepting, in-flight requests finish, idle keep-alive
 * sockets close, the pool closes, exit 0. If draining hangs, a hard limit ends the process (exit 1).
 */
/** The longest wait for the log buffer to be written before going on (exit, or listening). */
export const LOG_FLUSH_LIMIT_MS = 5000;

/** The logger writes asynchronously: flush its buffer before the process ends. */
export function exitAfterFlush(logger: Logger, code: number): void {
  // pino writes what is still buffered synchronously at exit; exiting while an asynchronous write is
  // still in flight would let that write land after the rest (seen on a starved machine): wait until
  // the destination is idle first (src/logging/logger.ts, test/operability/log-flush.system-spec.ts).
  const stream = (logger as unknown as Record<symbol, { _writing?: boolean } | undefined>)[
    pino.symbols.streamSym
  ];
  const deadline = Date.now() + LOG_FLUSH_LIMIT_MS;
  const exitWhenIdle = (): void => {
    if (stream?._writing && Date.now() < deadline) setTimeout(exitWhenIdle, 5);
    else process.exit(code);
  };
  logger.flush(exitWhenIdle);
  setTimeout(() => process.exit(code), LOG_FLUSH_LIMIT_MS).unref();
}

/**
 * An exception nothing caught (or a promise rejection nothing handled, which Node turns into one)
 * leaves the process in an unknown state: it is logged at `fatal` with the error, the log buffer is
 * flushed (every line written before it reaches stdout), and the process exits 1 — what Node would
 * do, minus the lost lines.
 */
/** Resolves once what the logger has buffered is written (or after `timeoutMs`, whichever first). */
export function flushLogs(logger: Logger, timeoutMs = LOG_FLUSH_LIMIT_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function installFatalHandler(logger: Logger): void {
  let failing = false;
  process.on('uncaughtException', (error, origin) => {
    if (failing) return;
    failing = true;
    logger.fatal({ err: error, origin }, 'fatal: uncaught exception, exiting');
    exitAfterFlush(logger, 1);
  });
}

export function installShutdown(app: NestFastifyApplication, runtime: Runtime, logger: Logger): void {
  const { shutdownDelayMs, shutdownDrainTimeoutMs } = runtime.config;
  let started = false;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    app.get(Lifecycle).beginShutdown();
    logger.info({ signal, shutdownDelayMs }, 'shutdown: readiness is 503, still serving');
    const hardLimit = setTimeout(() => {
      logger.error({ shutdownDrainTimeoutMs }, 'shutdown: draining took too long, exiting');
      exitAfterFlush(logger, 1);
    }, shutdownDelayMs + shutdownDrainTimeoutMs);
    hardLimit.unref();

    await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));
    logger.info('shutdown: no longer accepting; draining in-flight requests');
    try {
      // The HTTP server first (stop accepting, finish in-flight, close idle keep-alive sockets), so that
      // no shutdown hook of a module (the webhook dispatcher's drain) can eat the requests' budget;
      // then Nest's hooks and the pool. A second close of the Fastify instance is a no-op.
      await app.getHttpAdapter().close();
      await app.close();
      await runtime.embedded?.stop();
      // Spans still buffered are exported (bounded: a collector that is away does not hold the exit).
      await tracing()?.shutdown(2000);
      logger.info('shutdown: complete');
      exitAfterFlush(logger, 0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown: failed');
      exitAfterFlush(logger, 1);
    }
  };

  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}
