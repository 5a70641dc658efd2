import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
 * Engine argo (docs/engines.md): two real processes of the built service on one database, as a
 * stable and a canary ReplicaSet's pods. Each reads its own labels through a downward API file
 * (ACTIVE_ROLE_FILE), written here as the kubelet writes it. Only the pod labelled
 * bulwark.dev/role=stable delivers webhooks, also for orders the canary took; a promotion (Argo
 * moving the labels in place: the canary becomes stable, the old stable loses its role) moves the
 * delivery within the poll interval, with no restart.
 */
jest.setTimeout(120_000);

const POLL_MS = '100';
const POD = [
  'app.kubernetes.io/component="server"',
  'app.kubernetes.io/instance="shop"',
  'app.kubernetes.io/name="bulwark"',
];

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

/** One pod's downward API volume: `labels` through the `..data` symlink, swapped atomically. */
class PodLabels {
  private version = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir);
  }
  get file(): string {
    return join(this.dir, 'labels');
  }
  write(role: 'stable' | 'canary' | null): void {
    this.version += 1;
    const data = join(this.dir, `..v${this.version}`);
    mkdirSync(data);
    const lines = [...POD, ...(role ? [`bulwark.dev/role="${role}"`] : [])].sort();
    writeFileSync(join(data, 'labels'), lines.join('\n'));
    symlinkSync(`..v${this.version}`, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.version === 1) symlinkSync('..data/labels', this.file);
  }
}

describe('webhook delivery follows the pod role label (engine argo, system)', () => {
  let dir: string;
  let db: TestDatabase;
  let stableLabels: PodLabels;
  let canaryLabels: PodLabels;
  let stable: ServiceProcess;
  let canary: ServiceProcess;
  let receiver: Receiver;
  let shop: Shop;
  let viaCanary: Shop;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-active-role-'));
    stableLabels = new PodLabels(join(dir, 'stable'));
    canaryLabels = new PodLabels(join(dir, 'canary'));
    stableLabels.write('stable');
    canaryLabels.write('canary');
    db = await createTestDatabase();
    const env = (labels: PodLabels) => ({ ACTIVE_ROLE_FILE: labels.file, ACTIVE_COLOR_POLL_MS: POLL_MS });
    stable = await startBulwark(db, env(stableLabels));
    canary = await startBulwark(db, { ...env(canaryLabels), MIGRATE_ON_BOOT: 'false' });
    receiver = await startReceiver();
    shop = await openShop(stable, db);
    const { secret } = await subscribe(shop.admin, receiver.url);
    receiver.secret = secret;
    viaCanary = { ...shop, shopper: shop.shopper.on(canary.url) };
  });

  afterAll(async () => {
    await Promise.all([stable?.stop(), canary?.stop()]);
    await receiver?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the canary delivers no webhook, also for orders it took itself', async () => {
    expect(await backgroundActive(stable)).toBe(1);
    expect(await backgroundActive(canary)).toBe(0);
    await placeOrders(viaCanary, 10, 5);
    await eventually(
      () => receiver.deliveredCounts().size === 10,
      20_000,
      () => `(${receiver.deliveredCounts().size}/10 delivered)`,
    );
    await eventually(() => deliveriesBy(stable) + deliveriesBy(canary) === 10, 10_000);
    expect(await deliveryStatuses(db)).toEqual([{ status: 'delivered', n: 10 }]);
    expect(deliveriesBy(canary)).toBe(0);
    expect(canary.output()).not.toContain('webhook dispatcher started');
  });

  it('promotion (labels moved in place) moves the delivery to the former canary, without a restart', async () => {
    const pids = [stable.process.pid, canary.process.pid];
    canaryLabels.write('stable');
    stableLabels.write(null); // the previous stable ReplicaSet, waiting for its scale-down
    await eventually(
      async () => (await backgroundActive(canary)) === 1 && (await backgroundActive(stable)) === 0,
      10_000,
      () => '(the pods did not pick up their new labels)',
    );
    // Log lines reach stdout within 250 ms (a buffered destination: docs/operations.md#logs).
    await eventually(
      () =>
        stable.output().includes('webhook dispatcher paused') &&
        canary.output().includes('webhook dispatcher started'),
      5_000,
      () => '(the pause and start lines were not logged)',
    );

    await placeOrders(shop, 10, 5); // through the old stable pod
    await eventually(
      () => receiver.deliveredCounts().size === 20,
      20_000,
      () => `(${receiver.deliveredCounts().size}/20 delivered)`,
    );
    await eventually(() => deliveriesBy(stable) + deliveriesBy(canary) === 20, 10_000);
    expect(deliveriesBy(canary)).toBe(10);
    expect(deliveriesBy(stable)).toBe(10);
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    expect([stable.process.pid, canary.process.pid]).toEqual(pids);
    expect([stable.process.exitCode, canary.process.exitCode]).toEqual([null, null]);
  });
});
