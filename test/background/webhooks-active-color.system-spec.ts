import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import type { ServiceProcess } from '../helpers/service';
import {
  deliveryStatuses,
  openShop,
  placeOrders,
  Shop,
  startBulwark,
  subscribe,
} from '../helpers/webhooks/bulwark';
import { eventually, Receiver, startReceiver } from '../helpers/webhooks/receiver';

/**
 * Blue and green as two real processes of the built service on one database, as on Kubernetes during
 * a canary: both serve requests (orders placed through either write outbox events), but only the
 * colour the active-colour file names delivers webhooks. Flipping the file (as a promotion does)
 * moves the delivery to the other colour within its poll interval, with no restart.
 */
jest.setTimeout(120_000);

const POLL_MS = '100';

/** `webhook delivered` log lines of one process: the deliveries it made. */
function deliveriesBy(service: ServiceProcess): number {
  return service
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"webhook delivered"')).length;
}

async function backgroundActive(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('bulwark_background_work_active'));
  if (!line) throw new Error('no bulwark_background_work_active on /metrics');
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('webhook delivery follows the active colour (system)', () => {
  let dir: string;
  let file: string;
  let db: TestDatabase;
  let blue: ServiceProcess;
  let green: ServiceProcess;
  let receiver: Receiver;
  let shop: Shop;
  let viaGreen: Shop;

  function writeActiveColor(color: string): void {
    writeFileSync(`${file}.next`, `${color}\n`);
    renameSync(`${file}.next`, file);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-active-color-'));
    file = join(dir, 'activeColor');
    writeActiveColor('blue');
    db = await createTestDatabase();
    const env = (color: string) => ({
      RELEASE_COLOR: color,
      ACTIVE_COLOR_FILE: file,
      ACTIVE_COLOR_POLL_MS: POLL_MS,
    });
    blue = await startBulwark(db, env('blue'));
    green = await startBulwark(db, { ...env('green'), MIGRATE_ON_BOOT: 'false' });
    receiver = await startReceiver();
    shop = await openShop(blue, db);
    const { secret } = await subscribe(shop.admin, receiver.url);
    receiver.secret = secret;
    // The same shopper placing orders through the preview colour (canary traffic).
    viaGreen = { ...shop, shopper: shop.shopper.on(green.url) };
  });

  afterAll(async () => {
    await Promise.all([blue?.stop(), green?.stop()]);
    await receiver?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the preview colour delivers no webhook, also for orders it took itself', async () => {
    expect(await backgroundActive(blue)).toBe(1);
    expect(await backgroundActive(green)).toBe(0);
    await placeOrders(viaGreen, 10, 5);
    await placeOrders(shop, 10, 5);
    await eventually(
      () => receiver.deliveredCounts().size === 20,
      20_000,
      () => `(${receiver.deliveredCounts().size}/20 delivered)`,
    );
    // Each process logs a delivery once it is recorded, a moment after the receiver's answer.
    await eventually(() => deliveriesBy(blue) + deliveriesBy(green) === 20, 10_000);
    expect(await deliveryStatuses(db)).toEqual([{ status: 'delivered', n: 20 }]);
    expect(deliveriesBy(blue)).toBe(20);
    expect(deliveriesBy(green)).toBe(0);
    expect(green.output()).not.toContain('webhook dispatcher started');
  });

  it('flipping the file moves the delivery to green within the poll interval, without a restart', async () => {
    const pids = [blue.process.pid, green.process.pid];
    writeActiveColor('green');
    await eventually(
      async () => (await backgroundActive(green)) === 1 && (await backgroundActive(blue)) === 0,
      10_000,
      () => '(the colours did not pick up the new file)',
    );
    // Log lines reach stdout within 250 ms (a buffered destination: docs/operations.md#logs).
    await eventually(
      () =>
        blue.output().includes('webhook dispatcher paused') &&
        green.output().includes('webhook dispatcher started'),
      5_000,
      () => '(the pause and start lines were not logged)',
    );

    await placeOrders(shop, 10, 5); // through blue, now the preview colour
    await eventually(
      () => receiver.deliveredCounts().size === 30,
      20_000,
      () => `(${receiver.deliveredCounts().size}/30 delivered)`,
    );
    await eventually(() => deliveriesBy(blue) + deliveriesBy(green) === 30, 10_000);
    expect(deliveriesBy(green)).toBe(10);
    expect(deliveriesBy(blue)).toBe(20);
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    // The same processes: nothing restarted.
    expect([blue.process.pid, green.process.pid]).toEqual(pids);
    expect([blue.process.exitCode, green.process.exitCode]).toEqual([null, null]);
  });
});
