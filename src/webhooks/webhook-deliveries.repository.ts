import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { affected, one, rows, SqlParams } from '../database/sql';
import type { DeliveryStatus, WebhookEventType } from './webhook-events';

/** A delivery the dispatcher has claimed: everything needed to send it, and the attempt it owns. */
export interface ClaimedDelivery {
  id: string;
  /** This attempt's number (1-based); the claim is ours while the row still has it. */
  attempt: number;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  payload: unknown;
  /** The W3C traceparent stored with the event (tracing on when it was written), or null. */
  traceParent: string | null;
  subscriptionId: string;
  url: string;
  secretCiphertext: Buffer;
  /**
   * When the lease runs out, on this process's monotonic clock (`performance.now()`): measured from
   * before the claim was sent, so never later than the database's own expiry.
   */
  leaseDeadline: number;
}

interface ClaimRow {
  id: string;
  attempts: number;
  event_id: string;
  event_type: string;
  event_created_at: Date;
  payload: unknown;
  trace_parent: string | null;
  subscription_id: string;
  url: string;
  secret_ciphertext: Buffer;
}

/** A delivery as the admin API shows it, with its event's type (snake_case columns). */
export interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const DELIVERY_COLUMNS = `d.id, d.subscription_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.updated_at`;

const PAGES = new Keyset('d.created_at', 'd.id');

const ms = (value: number): string => `${Math.max(0, Math.round(value))} milliseconds`;

/**
 * The `webhook_deliveries` table: the dispatcher's claims and outcomes, and the admin's reads and
 * re-queues. Every dispatcher write after the claim is conditional on `attempts` still being the
 * claimed attempt number and the row still pending: a replica whose lease ran out (it hung, or was
 * paused) cannot overwrite the outcome of the replica that took the delivery over.
 */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` due deliveries of active subscriptions: SKIP LOCKED lets any number of
   * replicas claim at once without waiting on or taking each other's rows. The claim is a lease:
   * `next_attempt_at` moves `leaseMs` ahead, so if this process dies mid-send the delivery becomes
   * due again by itself (at-least-once), and `attempts` is incremented, so every attempt has a number
   * no other claim can share.
   *
   * A pending delivery of a deleted subscription is never claimed: one can appear after the delete
   * (an order transaction that fanned out to the subscription before the delete, committing after
   * it, under READ COMMITTED); `deadOrphans` ends it.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const leaseDeadline = performance.now() + leaseMs;
    const claimed = await rows<ClaimRow>(
      this.dataSource,
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.deleted_at IS NULL
         WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
         ORDER BY d.next_attempt_at
         LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = clock_timestamp() + $2::interval, updated_at = clock_timestamp()
       FROM due, outbox_events e, webhook_subscriptions s
       WHERE d.id = due.id AND e.id = d.event_id AND s.id = d.subscription_id
       RETURNING d.id, d.attempts, e.id AS event_id, e.type AS event_type, e.created_at AS event_created_at, e.payload, e.trace_parent,
                 s.id AS subscription_id, s.url, s.secret_ciphertext`,
      [limit, ms(leaseMs)],
    );
    return claimed.map((r) => ({
      id: r.id,
      attempt: r.attempts,
      eventId: r.event_id,
      eventType: r.event_type,
      eventCreatedAt: r.event_created_at,
      payload: r.payload,
      traceParent: r.trace_parent ?? null,
      subscriptionId: r.subscription_id,
      url: r.url,
      secretCiphertext: r.secret_ciphertext,
      leaseDeadline,
    }));
  }

  async markDelivered(d: ClaimedDelivery, statusCode: number): Promise<boolean> {
    return this.update(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = clock_timestamp(), last_status_code = $3, last_error = NULL, updated_at = clock_timestamp()
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempt, statusCode],
    );
  }

  /** A failed attempt: retried after `retryInMs`, or `dead` when it was the last one allowed. */
  async markFailed(
    d: ClaimedDelivery,
    outcome: { dead: boolean; retryInMs: number; statusCode: number | null; error: string },
  ): Promise<boolean> {
    return this.update(
      `UPDATE webhook_deliveries
       SET status = CASE WHEN $3 THEN 'dead' ELSE 'pending' END, next_attempt_at = clock_timestamp() + $4::interval,
           last_status_code = $5, last_error = $6, updated_at = clock_timestamp()
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempt, outcome.dead, ms(outcome.retryInMs), outcome.statusCode, outcome.error.slice(0, 500)],
    );
  }

  /**
   * The attempt was not made (the endpoint's breaker is open, or the dispatcher is stopping): the
   * claim is given back without spending the attempt, due again after `retryInMs`.
   */
  async release(d: ClaimedDelivery, retryInMs: number, reason: string): Promise<boolean> {
    return this.update(
      `UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = clock_timestamp() + $3::interval, last_error = $4, updated_at = clock_timestamp()
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempt, ms(retryInMs), reason],
    );
  }

  /**
   * Ends `dead` the pending deliveries of deleted subscriptions (as deleting does for those it sees;
   * these were committed after it). Returns how many. Cheap: deleted subscriptions are few, and each
   * one's pending deliveries come from the (subscription_id, status) index.
   */
  async deadOrphans(): Promise<number> {
    return affected(
      this.dataSource,
      `UPDATE webhook_deliveries d SET status = 'dead', last_error = 'subscription deleted', updated_at = clock_timestamp()
       FROM webhook_subscriptions s
       WHERE s.id = d.subscription_id AND s.deleted_at IS NOT NULL AND d.status = 'pending'`,
    );
  }

  /** Seconds since the oldest still-pending delivery's event was written (0 when none is pending). */
  async oldestPendingAgeSeconds(): Promise<number> {
    const row = await one<{ age: number }>(
      this.dataSource,
      `SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS age FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return Number(row?.age ?? 0);
  }

  /** Ends `dead` the pending deliveries of a subscription being deleted; answers how many. */
  abandonPendingOf(manager: EntityManager, subscriptionId: string): Promise<number> {
    return affected(
      manager,
      `UPDATE webhook_deliveries SET status = 'dead', last_error = 'subscription deleted', updated_at = clock_timestamp()
       WHERE subscription_id = $1 AND status = 'pending'`,
      [subscriptionId],
    );
  }

  /**
   * A page of a live subscription's deliveries (newest first, `limit + 1` rows), or undefined when
   * the subscription does not exist or was deleted. One round trip: a LEFT JOIN keeps the
   * subscription's row when it has no delivery on this page.
   */
  async listOfSubscription(
    subscriptionId: string,
    filter: { status?: DeliveryStatus },
    limit: number,
    after?: CursorPosition,
  ): Promise<Array<DeliveryRow & { cursorMicros: string }> | undefined> {
    const params = new SqlParams(subscriptionId, limit + 1);
    const where = [
      'd.subscription_id = $1',
      filter.status !== undefined && `d.status = ${params.add(filter.status)}`,
      PAGES.after(after, params),
    ].filter((c): c is string => typeof c === 'string');
    const page = await rows<DeliveryRow & { cursorMicros: string; subscription: string }>(
      this.dataSource,
      `SELECT s.id AS subscription, ${DELIVERY_COLUMNS}, ${PAGES.cursor}
         FROM webhook_subscriptions s
         LEFT JOIN LATERAL (
           SELECT * FROM webhook_deliveries d WHERE ${where.join(' AND ')} ${PAGES.orderBy} LIMIT $2
         ) d ON true
         LEFT JOIN outbox_events e ON e.id = d.event_id
        WHERE s.id = $1 AND s.deleted_at IS NULL
        ${PAGES.orderBy}`,
      params.values,
    );
    if (page.length === 0) return undefined;
    return page.filter((r) => r.id !== null);
  }

  /** A delivery of a live subscription, locked until the transaction ends; undefined when there is none. */
  lockOfLiveSubscription(
    manager: EntityManager,
    id: string,
  ): Promise<{ status: DeliveryStatus; attempts: number } | undefined> {
    return one(
      manager,
      `SELECT d.status, d.attempts FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.deleted_at IS NULL
        WHERE d.id = $1 FOR UPDATE OF d`,
      [id],
    );
  }

  /** Pending again, attempts from zero, due now; answers the delivery as it now is. */
  async requeue(manager: EntityManager, id: string): Promise<DeliveryRow> {
    const [requeued] = await rows<DeliveryRow>(
      manager,
      `UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(), last_error = NULL,
              last_status_code = NULL, updated_at = clock_timestamp()
         FROM outbox_events e
        WHERE d.id = $1 AND e.id = d.event_id
       RETURNING ${DELIVERY_COLUMNS}`,
      [id],
    );
    return requeued;
  }

  /** Forgets delivered deliveries older than `deliveredDays` and dead ones older than `deadDays`. */
  purgeFinished(deliveredDays: number, deadDays: number): Promise<number> {
    return affected(
      this.dataSource,
      `DELETE FROM webhook_deliveries
        WHERE (status = 'delivered' AND delivered_at < now() - make_interval(days => $1))
           OR (status = 'dead' AND updated_at < now() - make_interval(days => $2))`,
      [deliveredDays, deadDays],
    );
  }

  private async update(sql: string, params: unknown[]): Promise<boolean> {
    return (await affected(this.dataSource, sql, params)) > 0;
  }
}
