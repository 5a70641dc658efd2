import pino from 'pino';
import { testConfig } from '../config/config';
import { DatabaseTimeoutError } from '../common/errors/database-errors';
import type { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { ActiveColorGate } from '../background/active-color.gate';
import type { DeliveryAttempts } from './delivery-attempt';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookMetrics } from './webhook-metrics';

/**
 * Background work while the database is down or silent (issue 18): the dispatcher's loop neither
 * crashes nor spins, and picks up again by itself. Its store fails as fast as it can (a refusing
 * database): the worst case for a tight loop.
 */
describe('WebhookDispatcher while the database fails', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('tries about once a second, never faster, and resumes on the first success', async () => {
    const lines: Array<{ msg: string }> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) },
    );
    let failing = true;
    const fail = () =>
      failing ? Promise.reject(new DatabaseTimeoutError('statement', 5500)) : Promise.resolve(0);
    const store = {
      claim: jest.fn(() => (failing ? fail() : Promise.resolve([]))),
      deadOrphans: jest.fn(fail),
      oldestPendingAgeSeconds: jest.fn(() => Promise.resolve(0)),
    };
    const base = testConfig();
    const config = { ...base, webhooks: { ...base.webhooks, pollIntervalMs: 10 } };
    const dispatcher = new WebhookDispatcher(
      config,
      logger,
      store as unknown as WebhookDeliveriesRepository,
      {} as DeliveryAttempts,
      new WebhookMetrics(),
      new ActiveColorGate(config, logger),
    );
    dispatcher.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(10_000);
    const attempts = store.claim.mock.calls.length + store.deadOrphans.mock.calls.length;
    // A 10 ms poll interval would be 1,000 tries; failing, it is at most one a second.
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(11);

    failing = false;
    await jest.advanceTimersByTimeAsync(2000);
    expect(store.claim).toHaveBeenCalled();
    expect(lines.filter((l) => l.msg === 'webhook dispatcher: claiming works again')).toHaveLength(1);
    const pollsWhenHealthy = store.claim.mock.calls.length;
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.claim.mock.calls.length - pollsWhenHealthy).toBeGreaterThan(50); // back to its interval

    const stopped = dispatcher.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(1000);
    await stopped;
  });
});
