import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A delivery the dispatcher has claimed: everything needed to send it, and the attempt it owns. */
export interface ClaimedDelivery {
  id: string;
  /** This attempt's number (1-based); the claim is ours while the row still has it. */
  attempt: number;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  payload: unknown;
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
  subscription_id: string;
  url: string;
  secret_ciphertext: Buffer;
}

const ms = (value: number): string => `${Math.max(0, Math.round(value))} milliseconds`;

/**
 * The dispatcher's SQL. Every write after the claim is conditional on `attempts` still being the
 * claimed attempt number and the row still pending: a replica whose lease ran out (it hung, or was
 * paused) cannot overwrite the outcome of the replica that took the delivery over.
 */
@Injectable()
export class DeliveryStore {
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
    const rows = (await this.dataSource.query(
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
       RETURNING d.id, d.attempts, e.id AS event_id, e.type AS event_type, e.created_at AS event_created_at, e.payload,
                 s.id AS subscription_id, s.url, s.secret_ciphertext`,
      [limit, ms(leaseMs)],
    )) as [ClaimRow[], number] | ClaimRow[];
    const list = isUpdateResult(rows) ? rows[0] : rows;
    return list.map((r) => ({
      id: r.id,
      attempt: r.attempts,
      eventId: r.event_id,
      eventType: r.event_type,
      eventCreatedAt: r.event_created_at,
      payload: r.payload,
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
    const [, count] = (await this.dataSource.query(
      `UPDATE webhook_deliveries d SET status = 'dead', last_error = 'subscription deleted', updated_at = clock_timestamp()
       FROM webhook_subscriptions s
       WHERE s.id = d.subscription_id AND s.deleted_at IS NOT NULL AND d.status = 'pending'`,
    )) as [unknown[], number];
    return count;
  }

  /** Seconds since the oldest still-pending delivery's event was written (0 when none is pending). */
  async oldestPendingAgeSeconds(): Promise<number> {
    const rows = (await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS age FROM webhook_deliveries WHERE status = 'pending'`,
    )) as Array<{ age: number }>;
    return Number(rows[0]?.age ?? 0);
  }

  private async update(sql: string, params: unknown[]): Promise<boolean> {
    const result = (await this.dataSource.query(sql, params)) as unknown;
    return isUpdateResult(result) ? result[1] > 0 : false;
  }
}

/** TypeORM's postgres driver answers UPDATE … with `[rows, affectedCount]`. */
function isUpdateResult<T>(value: unknown): value is [T[], number] {
  return (
    Array.isArray(value) && value.length === 2 && Array.isArray(value[0]) && typeof value[1] === 'number'
  );
}
