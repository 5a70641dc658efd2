import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { DeliveryStatus } from './webhook-events';

/** One event's delivery to one subscription, fanned out in the event's transaction (outbox.writer.ts). */
@Entity({ name: 'webhook_deliveries' })
@Unique('webhook_deliveries_event_subscription_key', ['eventId', 'subscriptionId'])
@Check('webhook_deliveries_status_check', `status IN ('pending', 'delivered', 'dead')`)
@Check('webhook_deliveries_attempts_check', 'attempts >= 0')
@Check('webhook_deliveries_delivered_at_check', `(status = 'delivered') = (delivered_at IS NOT NULL)`)
@Index('webhook_deliveries_due_idx', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('webhook_deliveries_pending_age_idx', ['createdAt'], { where: `status = 'pending'` })
@Index('webhook_deliveries_subscription_idx', ['subscriptionId', 'createdAt', 'id']) // (…, created_at DESC, id DESC)
@Index('webhook_deliveries_subscription_status_idx', ['subscriptionId', 'status', 'createdAt', 'id'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_deliveries_pkey' })
  id!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  @ForeignKey('OutboxEvent', { name: 'webhook_deliveries_event_id_fkey', onDelete: 'CASCADE' })
  eventId!: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  @ForeignKey('WebhookSubscription', { name: 'webhook_deliveries_subscription_id_fkey', onDelete: 'CASCADE' })
  subscriptionId!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  updatedAt!: Date;
}
