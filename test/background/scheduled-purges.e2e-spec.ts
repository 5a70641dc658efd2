import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { SessionsPurgeJob } from '../../src/sessions/sessions-purge.job';
import { ActiveColorGate } from '../../src/background/active-color.gate';
import { testConfig } from '../../src/config/config';
import { IdempotencyPurgeJob } from '../../src/idempotency/idempotency-purge.job';
import { WebhookRetentionJob } from '../../src/webhooks/webhook-retention.job';
import { createTestApp, TestApp } from '../helpers/app';
import { login, registerUser, signedInAdmin, signedInUser } from '../helpers/auth';
import { createProduct, metricValue, placeOrder, sql, UNLIMITED } from '../helpers/catalog';
import { eventually } from '../helpers/webhooks/receiver';

/**
 * The scheduled purges run in pods of the active colour only: an instance of the green colour, with
 * the active-colour file naming blue, runs none of them when its schedule fires; once the file names
 * green (re-read by the instance's own poll, no restart), the same scheduled runs purge.
 * In-process application on real PostgreSQL; each job's scheduled entry point is called the way the
 * scheduler calls it.
 */
describe('scheduled purges follow the active colour (e2e)', () => {
  let dir: string;
  let file: string;
  let t: TestApp;

  /** Replaces the file the way a kubelet (symlink swap) or the nginx platform (rename) does: atomically. */
  function writeActiveColor(color: string): void {
    const next = `${file}.next`;
    writeFileSync(next, `${color}\n`);
    renameSync(next, file);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-active-color-'));
    file = join(dir, 'activeColor');
    writeActiveColor('blue');
    t = await createTestApp({
      ...UNLIMITED,
      releaseColor: 'green',
      background: { activeColorFile: file, activeColorPollMs: 50 },
      webhooks: { ...testConfig().webhooks, dispatcherEnabled: false },
    });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One row each purge should delete: an expired login, a day-old idempotent answer, an old delivery. */
  async function seedPurgeable(): Promise<void> {
    const ds = t.app.get(DataSource);
    const user = await registerUser(t);
    const tokens = await login(t, user.email, user.password);
    const sid = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString('utf8')).sid;
    await ds.query(`UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE session_id = $1`, [
      sid,
    ]);
    await ds.query(`UPDATE sessions SET created_at = now() - interval '3 days' WHERE id = $1`, [sid]);

    const admin = await signedInAdmin(t);
    const shopper = await signedInUser(t);
    const product = await createProduct(t, admin, { stock: 10 });
    const key = `purge-${sid}`;
    expect((await placeOrder(t, shopper, [{ productId: product.id, quantity: 1 }], key)).statusCode).toBe(
      201,
    );
    await ds.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [
      key,
    ]);

    const hook = await t.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: admin.auth,
      payload: { url: 'https://93.184.215.14/hooks', events: ['order.created'] },
    });
    const [event] = await sql<{ id: string }>(
      t,
      `INSERT INTO outbox_events (type, aggregate_id, payload, created_at)
       VALUES ('order.created', 'old', '{}', now() - interval '8 days') RETURNING id`,
    );
    await sql(
      t,
      `INSERT INTO webhook_deliveries (event_id, subscription_id, status, delivered_at, updated_at)
       VALUES ($1, $2, 'delivered', now() - interval '8 days', now() - interval '8 days')`,
      [event.id, hook.json<{ id: string }>().id],
    );
  }

  const purgeable = async () => {
    const [row] = await sql<{ tokens: number; answers: number; deliveries: number }>(
      t,
      `SELECT (SELECT count(*) FROM refresh_tokens WHERE expires_at < now() - interval '1 day')::int AS tokens,
              (SELECT count(*) FROM idempotency_keys WHERE created_at < now() - interval '24 hours')::int AS answers,
              (SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < now() - interval '7 days')::int AS deliveries`,
    );
    return row;
  };

  /** What the scheduler does when the hour strikes: each job's @Cron method. */
  async function scheduleFires(): Promise<void> {
    const registry = t.app.get(SchedulerRegistry);
    expect([...registry.getCronJobs().keys()].sort()).toEqual([
      'idempotency-purge',
      'sessions-purge',
      'webhook-retention',
    ]);
    await t.app.get(SessionsPurgeJob).scheduledPurge();
    await t.app.get(IdempotencyPurgeJob).scheduledPurge();
    await t.app.get(WebhookRetentionJob).scheduledPurge();
  }

  it('a preview-colour instance runs no scheduled purge', async () => {
    await seedPurgeable();
    expect(t.app.get(ActiveColorGate).active).toBe(false);
    expect(await metricValue(t, 'bulwark_background_work_active')).toBe(0);
    await scheduleFires();
    expect(await purgeable()).toEqual({ tokens: 1, answers: 1, deliveries: 1 });
  });

  it('once the file names its colour, the next scheduled runs purge — same process, no restart', async () => {
    const gate = t.app.get(ActiveColorGate);
    writeActiveColor('green');
    await eventually(
      () => gate.active,
      10_000,
      () => '(the poll never picked up the new colour)',
    );
    expect(await metricValue(t, 'bulwark_background_work_active')).toBe(1);
    await scheduleFires();
    expect(await purgeable()).toEqual({ tokens: 0, answers: 0, deliveries: 0 });
    expect(
      t.logs.some((l) => l.msg?.toString().startsWith('this colour is active') && l.activeColor === 'green'),
    ).toBe(true);
  });

  it('and when the file names the other colour again, the work stops again', async () => {
    const gate = t.app.get(ActiveColorGate);
    writeActiveColor('blue');
    await eventually(
      () => !gate.active,
      10_000,
      () => '(the poll never picked up the new colour)',
    );
    await seedPurgeable();
    await scheduleFires();
    expect(await purgeable()).toEqual({ tokens: 1, answers: 1, deliveries: 1 });
  });
});
