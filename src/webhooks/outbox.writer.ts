import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertInTransaction } from '../database/assert-in-transaction';
import { tracing } from '../tracing/tracing';
import { OutboxRepository } from './outbox.repository';
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
 *
 * With tracing on, the write is a span of the request's trace and the event keeps that span's
 * `traceparent`: its deliveries continue the trace (docs/tracing.md). Off, the column stays NULL.
 */
@Injectable()
export class OutboxWriter {
  constructor(private readonly outbox: OutboxRepository) {}

  async enqueue(manager: EntityManager, event: OutboxEventInput): Promise<string> {
    assertInTransaction(manager, `OutboxWriter.enqueue(${event.type})`);
    const traces = tracing();
    if (!traces) return this.insert(manager, event, null);
    return traces.withSpan(
      'outbox enqueue',
      {
        kind: 'producer',
        attributes: { 'bulwark.event.type': event.type, 'bulwark.aggregate_id': event.aggregateId },
      },
      (span) => this.insert(manager, event, span.traceparent),
    );
  }

  private insert(
    manager: EntityManager,
    event: OutboxEventInput,
    traceParent: string | null,
  ): Promise<string> {
    return this.outbox.insertWithDeliveries(manager, {
      type: event.type,
      aggregateId: event.aggregateId,
      payload: JSON.stringify(event.payload),
      traceParent,
    });
  }
}
