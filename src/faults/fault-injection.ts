import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../common/errors/app-error';
import { sendProblem } from '../common/filters/problem.filter';
import type { AppConfig } from '../config/config';

/** Only business routes fail on purpose: probes, metrics and docs keep telling the truth. */
export function isFaultTarget(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

/**
 * podinfo-style fault injection for rollout rehearsals (docs/operations.md, "Fault injection"): with FAULTS_ENABLED,
 * every `/v1` request is delayed by FAULT_LATENCY_MS, and that share FAULT_ERROR_RATE of them answers
 * 500 `FAULT_INJECTED` before any handler runs. When off, no hook is installed at all: zero cost.
 * The hook runs first (onRequest), so an injected failure looks to the rollout gate exactly like a
 * broken release: a 5xx on the real route template, with its latency.
 */
export function installFaultInjection(
  fastify: FastifyInstance,
  faults: AppConfig['faults'],
  logger: Logger,
  random: () => number = Math.random,
): void {
  if (!faults.enabled || (faults.errorRate <= 0 && faults.latencyMs <= 0)) return;
  const { errorRate, latencyMs } = faults;
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isFaultTarget(request.url)) return;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (errorRate > 0 && random() < errorRate) {
      sendProblem(
        new AppError('FAULT_INJECTED', 'Fault injection is on (FAULTS_ENABLED): this failure is deliberate.'),
        request,
        reply,
        logger,
      );
      return reply;
    }
  });
}
