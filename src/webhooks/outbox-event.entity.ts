import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One domain event of the transactional outbox; its id is the `webhook-id` receivers dedupe on. */
@Entity({ name: 'outbox_events' })
@Check('outbox_events_type_check', 'length(type) BETWEEN 1 AND 100')
@Index('outbox_events_aggregate_idx', ['aggregateId', 'createdAt'])
export class OutboxEvent {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'outbox_events_pkey' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'aggregate_id', type: 'text' })
  aggregateId!: string;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  /** The W3C traceparent of the write, continued by the deliveries (docs/tracing.md); null: tracing off. */
  @Column({ name: 'trace_parent', type: 'text', nullable: true })
  traceParent!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
