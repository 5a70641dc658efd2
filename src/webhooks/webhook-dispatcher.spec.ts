import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { testConfig } from '../config/config';
import type { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { generateSigningSecret, SecretBox } from './secret-box';
import { ActiveColorGate } from '../background/active-color.gate';
import { DeliveryAttempts } from './delivery-attempt';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookMetrics } from './webhook-metrics';

/** One delivery attempt against a real receiver on loopback, with the store mocked. */
describe('DeliveryAttempts: the lease', () => {
  const TIMEOUT_MS = 1000;
  let server: Server;
  let received = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      received += 1;
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received = 0;
  });

  function setUp(leaseLeftMs: number) {
    const secrets = new SecretBox('a-key-only-this-spec-uses-xxxxxxxxxxxxxxx');
    const store = {
      release: jest.fn().mockResolvedValue(true),
      markFailed: jest.fn().mockResolvedValue(true),
      markDelivered: jest.fn().mockResolvedValue(true),
    };
    const config = testConfig({ webhooksAllowPrivate: true });
    const attempts = new DeliveryAttempts(
      { ...config, webhooks: { ...config.webhooks, timeoutMs: TIMEOUT_MS } },
      pino({ level: 'silent' }),
      secrets,
      store as unknown as WebhookDeliveriesRepository,
      new WebhookMetrics(),
    );
    const subscriptionId = '11111111-1111-4111-8111-111111111111';
    const delivery: ClaimedDelivery = {
      id: '22222222-2222-4222-8222-222222222222',
      attempt: 1,
      eventId: '33333333-3333-4333-8333-333333333333',
      eventType: 'order.created',
      eventCreatedAt: new Date(),
      traceParent: null,
      payload: { id: 'order-1' },
      subscriptionId,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      secretCiphertext: secrets.seal(generateSigningSecret(), subscriptionId),
      leaseDeadline: performance.now() + leaseLeftMs,
    };
    const attempt = () => attempts.attempt(delivery);
    return { store, delivery, attempt };
  }

  it('hands the claim back unsent when less than the HTTP timeout (and a margin) is left of the lease', async () => {
    const { store, delivery, attempt } = setUp(TIMEOUT_MS / 2);
    await attempt();
    expect(received).toBe(0);
    expect(store.release).toHaveBeenCalledWith(delivery, 0, 'claim handed back: lease too short to send');
    expect(store.markFailed).not.toHaveBeenCalled();
    expect(store.markDelivered).not.toHaveBeenCalled();
  });

  it('sends and records the outcome when enough of the lease is left', async () => {
    const { store, delivery, attempt } = setUp(TIMEOUT_MS * 2 + 5000);
    await attempt();
    expect(received).toBe(1);
    expect(store.markDelivered).toHaveBeenCalledWith(delivery, 200);
    expect(store.release).not.toHaveBeenCalled();
  });
});

describe('WebhookDispatcher claim failures', () => {
  it('logs a database outage once (then at most once a minute) and its end once', () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = pino(
      { level: 'info', formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => void lines.push(JSON.parse(line) as { level: string; msg: string }) },
    );
    const config = testConfig();
    const dispatcher = new WebhookDispatcher(
      config,
      logger,
      {} as WebhookDeliveriesRepository,
      {} as DeliveryAttempts,
      new WebhookMetrics(),
      new ActiveColorGate(config, logger),
    );
    const note = (error: unknown) =>
      (dispatcher as unknown as { noteClaimOutcome(e: unknown): void }).noteClaimOutcome(error);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 50; i += 1) note(refused);
    note(undefined);
    note(undefined);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'webhook dispatcher: claiming works again')).toHaveLength(1);
  });
});

describe('WebhookDispatcher: only while this colour is active', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-active-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setUp(fileContent: string) {
    const file = join(dir, 'active-color');
    writeFileSync(file, fileContent);
    const base = testConfig();
    const config = {
      ...base,
      releaseColor: 'green' as const,
      background: { activeColorFile: file, activeColorPollMs: 60_000 },
      webhooks: { ...base.webhooks, pollIntervalMs: 10 },
    };
    let claims = 0;
    let claimed: () => void = () => undefined;
    const store = {
      claim: jest.fn(async () => {
        claims += 1;
        claimed();
        return [];
      }),
      deadOrphans: jest.fn(async () => 0),
      oldestPendingAgeSeconds: jest.fn(async () => 0),
    };
    const logger = pino({ level: 'silent' });
    const gate = new ActiveColorGate(config, logger);
    gate.onModuleInit();
    const dispatcher = new WebhookDispatcher(
      config,
      logger,
      store as unknown as WebhookDeliveriesRepository,
      {} as DeliveryAttempts,
      new WebhookMetrics(),
      gate,
    );
    const nextClaim = () => new Promise<void>((resolve) => (claimed = resolve));
    const flip = (color: string) => {
      writeFileSync(file, color);
      gate.refresh();
    };
    return { dispatcher, gate, nextClaim, flip, claims: () => claims };
  }

  it('claims nothing in a preview colour, starts when the file names it, pauses when it no longer does', async () => {
    const { dispatcher, gate, nextClaim, flip, claims } = setUp('blue\n');
    dispatcher.onApplicationBootstrap();
    expect(gate.active).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(claims()).toBe(0);

    const first = nextClaim();
    flip('green\n');
    expect(gate.active).toBe(true);
    await first; // started without a restart

    flip('blue\n');
    expect(gate.active).toBe(false);
    await (dispatcher as unknown as { loop: Promise<void> }).loop; // the paused loop ends
    const frozen = claims();
    await new Promise((r) => setTimeout(r, 50));
    expect(claims()).toBe(frozen);
    await dispatcher.beforeApplicationShutdown();
  });

  it('keeps the last decision while the file names no colour (a half-written or missing file)', async () => {
    const { dispatcher, gate, nextClaim, flip } = setUp('green');
    const first = nextClaim();
    dispatcher.onApplicationBootstrap();
    await first;
    flip('');
    expect(gate.active).toBe(true);
    rmSync(join(dir, 'active-color'));
    gate.refresh();
    expect(gate.active).toBe(true);
    await dispatcher.beforeApplicationShutdown();
  });

  it('with no file at all, an instance stays inactive until the file appears', () => {
    const { gate } = setUp('');
    expect(gate.active).toBe(false);
    writeFileSync(join(dir, 'active-color'), 'green');
    gate.refresh();
    expect(gate.active).toBe(true);
  });
});
