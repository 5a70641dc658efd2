import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { Lifecycle } from './common/lifecycle';
import type { Runtime } from './runtime';

/**
 * Graceful shutdown (CONTRACT section 4, podinfo's order): on SIGTERM readiness turns 503 at once;
 * requests are still served for SHUTDOWN_DELAY_MS (with `Connection: close`) while the balancer takes
 * the instance out; then the server stops accepting, in-flight requests finish, idle keep-alive
 * sockets close, the pool closes, exit 0. If draining hangs, a hard limit ends the process (exit 1).
 */
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
      logger.flush();
      process.exit(1);
    }, shutdownDelayMs + shutdownDrainTimeoutMs);
    hardLimit.unref();

    await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));
    logger.info('shutdown: no longer accepting; draining in-flight requests');
    try {
      await app.close(); // Fastify close: stop accepting, finish in-flight; then module destroy hooks (pool)
      await runtime.embedded?.stop();
      logger.info('shutdown: complete');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown: failed');
      logger.flush();
      process.exit(1);
    }
  };

  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}
