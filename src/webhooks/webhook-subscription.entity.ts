import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { WebhookEventType } from './webhook-events';

/** A webhook subscription; its signing secret is stored sealed (secret-box.ts); deleted ones are kept. */
@Entity({ name: 'webhook_subscriptions' })
@Check('webhook_subscriptions_url_check', 'length(url) BETWEEN 1 AND 2048')
@Check('webhook_subscriptions_events_check', 'cardinality(events) > 0')
@Index('webhook_subscriptions_list_idx', ['createdAt', 'id'], { where: 'deleted_at IS NULL' }) // (created_at DESC, id DESC)
@Index('webhook_subscriptions_events_idx', ['events'], { type: 'gin', where: 'deleted_at IS NULL' })
export class WebhookSubscription {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_subscriptions_pkey' })
  id!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: WebhookEventType[];

  @Column({ name: 'secret_ciphertext', type: 'bytea' })
  secretCiphertext!: Buffer;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
