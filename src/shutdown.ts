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

/** The log destination as pino holds it (SonicBoom, src/logging/logger.ts). */
interface Destination {
  _writing?: boolean;
  sync?: boolean;
  flushSync?: () => void;
}

function destinationOf(logger: Logger): Destination | undefined {
  return (logger as unknown as Record<symbol, Destination | undefined>)[pino.symbols.streamSym];
}

/**
 * Readies the log destination for the end of the process: from now on it writes synchronously, and
 * the promise resolves once no asynchronous write is in flight (or after `timeoutMs`). Only then may
 * anything be written synchronously: a synchronous write while an asynchronous one is in flight
 * overtakes it, and the lines arrive out of order (pino's `fatal` writes synchronously at once; so
 * does its exit hook). With the destination synchronous, what was buffered behind the write in flight
 * follows it, in order, as soon as it completes (test/operability/log-flush.system-spec.ts).
 */
export function settleLogs(logger: Logger, timeoutMs = LOG_FLUSH_LIMIT_MS): Promise<void> {
  const stream = destinationOf(logger);
  if (stream && typeof stream.sync === 'boolean') stream.sync = true;
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const whenIdle = (): void => {
      if (stream?._writing && Date.now() < deadline) setTimeout(whenIdle, 5);
      else resolve();
    };
    whenIdle();
  });
}

/** Ends the process once every line logged so far is written (bounded by LOG_FLUSH_LIMIT_MS). */
export function exitAfterFlush(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), LOG_FLUSH_LIMIT_MS).unref();
  void settleLogs(logger).then(() => {
    try {
      destinationOf(logger)?.flushSync?.();
    } finally {
      process.exit(code);
    }
  });
}

/** Logs the line that says why the process ends, at `fatal`, once the destination is settled. */
export async function logFatal(logger: Logger, fields: object, msg: string): Promise<void> {
  await settleLogs(logger);
  logger.fatal(fields, msg);
}

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

/**
 * An exception nothing caught (or a promise rejection nothing handled, which Node turns into one)
 * leaves the process in an unknown state: it is logged at `fatal` with the error, the log buffer is
 * flushed (every line written before it reaches stdout), and the process exits 1 — what Node would
 * do, minus the lost lines.
 */
export function installFatalHandler(logger: Logger): void {
  let failing = false;
  process.on('uncaughtException', (error, origin) => {
    if (failing) return;
    failing = true;
    void logFatal(logger, { err: error, origin }, 'fatal: uncaught exception, exiting').then(() =>
      exitAfterFlush(logger, 1),
    );
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
