import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactional outbox and webhook deliveries (docs/webhooks.md).
 * - `outbox_events`: one row per domain event, written in the transaction of the change; its id is the
 *   stable `webhook-id` receivers dedupe on.
 * - `webhook_subscriptions`: signing secrets are stored AES-256-GCM encrypted (signing needs the raw
 *   secret, so a hash cannot do); deleted subscriptions are kept (soft delete) for their history.
 * - `webhook_deliveries`: one row per (event, subscription), fanned out in the event's transaction.
 *   The dispatcher claims due rows with FOR UPDATE SKIP LOCKED through the partial index below.
 */
export class Webhooks1795350154523 implements MigrationInterface {
  name = 'Webhooks1795350154523';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
        aggregate_id text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX outbox_events_aggregate_idx ON outbox_events (aggregate_id, created_at)');

    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        secret_ciphertext bytea NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        deleted_at timestamptz
      )`);
    await q.query(
      'CREATE INDEX webhook_subscriptions_list_idx ON webhook_subscriptions (created_at DESC, id DESC) WHERE deleted_at IS NULL',
    );
    await q.query(
      'CREATE INDEX webhook_subscriptions_events_idx ON webhook_subscriptions USING gin (events) WHERE deleted_at IS NULL',
    );

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT webhook_deliveries_event_subscription_key UNIQUE (event_id, subscription_id),
        CONSTRAINT webhook_deliveries_delivered_at_check CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
      )`);
    await q.query(
      "CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
    );
    await q.query(
      "CREATE INDEX webhook_deliveries_pending_age_idx ON webhook_deliveries (created_at) WHERE status = 'pending'",
    );
    await q.query(
      'CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC, id DESC)',
    );
    await q.query(
      'CREATE INDEX webhook_deliveries_subscription_status_idx ON webhook_deliveries (subscription_id, status, created_at DESC, id DESC)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_deliveries');
    await q.query('DROP TABLE webhook_subscriptions');
    await q.query('DROP TABLE outbox_events');
  }
}
