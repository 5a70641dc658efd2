import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertInTransaction } from '../database/assert-in-transaction';
import type { WebhookEventType } from './webhook-events';

export interface OutboxEventInput {
  type: WebhookEventType;
  /** The entity the event is about (the order id). */
  aggregateId: string;
  /** The event's `data`, as receivers will see it: the resource in its API shape. */
  payload: Record<string, unknown>;
}

/**
 * Writes a domain event to the transactional outbox, in the caller's transaction (it never opens its
 * own): the event exists exactly when the change it describes was committed, and a rolled-back
 * order leaves none. In the same statement it fans the event out into one pending delivery per
 * active subscription to that type, so the set of receivers is fixed at commit time, exactly, and
 * the dispatcher has only one table to poll.
 *
 * Returns the event id: stable, unique, and the `webhook-id` every receiver sees for this event.
 */
@Injectable()
export class OutboxWriter {
  async enqueue(manager: EntityManager, event: OutboxEventInput): Promise<string> {
    assertInTransaction(manager, `OutboxWriter.enqueue(${event.type})`);
    const rows = (await manager.query(
      `WITH event AS (
         INSERT INTO outbox_events (type, aggregate_id, payload) VALUES ($1, $2, $3) RETURNING id, created_at
       ), fanout AS (
         INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
         SELECT event.id, s.id, event.created_at, event.created_at
         FROM event, webhook_subscriptions s
         WHERE s.deleted_at IS NULL AND s.events @> ARRAY[$1]::text[]
       )
       SELECT id FROM event`,
      [event.type, event.aggregateId, JSON.stringify(event.payload)],
    )) as Array<{ id: string }>;
    return rows[0].id;
  }
}
