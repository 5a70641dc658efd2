import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C `traceparent` of the request that wrote an outbox event (docs/tracing.md): the webhook
 * deliveries of the event continue that trace, in whichever replica sends them and however late.
 * NULL when tracing is off. Adding a nullable column without a default rewrites nothing.
 */
export class OutboxTraceContext1795500000000 implements MigrationInterface {
  name = 'OutboxTraceContext1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox_events ADD COLUMN trace_parent text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outbox_events DROP COLUMN trace_parent');
  }
}
