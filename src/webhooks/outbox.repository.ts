import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { affected, rows } from '../database/sql';

/** The `outbox_events` table, and the fan-out of each event into its deliveries. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts the event and, in the same statement, one pending delivery per live subscription to its
   * type. Answers the event's id. `traceParent`: the W3C traceparent its deliveries continue
   * (docs/tracing.md), null when tracing is off.
   */
  async insertWithDeliveries(
    manager: EntityManager,
    event: { type: string; aggregateId: string; payload: string; traceParent: string | null },
  ): Promise<string> {
    const [inserted] = await rows<{ id: string }>(
      manager,
      `WITH event AS (
         INSERT INTO outbox_events (type, aggregate_id, payload, trace_parent) VALUES ($1, $2, $3, $4) RETURNING id, created_at
       ), fanout AS (
         INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at)
         SELECT event.id, s.id, event.created_at, event.created_at
         FROM event, webhook_subscriptions s
         WHERE s.deleted_at IS NULL AND s.events @> ARRAY[$1]::text[]
       )
       SELECT id FROM event`,
      [event.type, event.aggregateId, event.payload, event.traceParent],
    );
    return inserted.id;
  }

  /** Forgets events older than `days` that no delivery refers to any more. */
  purgeUnreferenced(days: number): Promise<number> {
    return affected(
      this.dataSource,
      `DELETE FROM outbox_events e
        WHERE e.created_at < now() - make_interval(days => $1)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`,
      [days],
    );
  }
}
