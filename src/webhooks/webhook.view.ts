import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { SECRET_PREFIX } from './secret-box';
import { ALL_WEBHOOK_EVENTS, DELIVERY_STATUSES, DeliveryStatus, WebhookEventType } from './webhook-events';
import type { DeliveryRow } from './webhook-deliveries.repository';
import type { SubscriptionRow } from './webhook-subscriptions.repository';

/** A subscription as the API shows it; the signing secret only ever appears in the create answer. */
@ApiSchema({ name: 'Webhook' })
export class WebhookView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uri' })
  url!: string;

  @ApiProperty({ enum: ALL_WEBHOOK_EVENTS, isArray: true })
  events!: WebhookEventType[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

@ApiSchema({ name: 'CreatedWebhook' })
export class CreatedWebhookView extends WebhookView {
  /** `whsec_…`: shown once, never again. */
  @ApiProperty({
    pattern: `^${SECRET_PREFIX}`,
    description: 'Signing secret (Standard Webhooks), shown in this answer only',
  })
  secret!: string;
}

/** One event's delivery to one subscription. */
@ApiSchema({ name: 'WebhookDelivery' })
export class DeliveryView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;

  @ApiProperty({ format: 'uuid', description: 'The `webhook-id` receivers see' })
  eventId!: string;

  @ApiProperty({ enum: ALL_WEBHOOK_EVENTS })
  eventType!: WebhookEventType;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: DeliveryStatus;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Attempts made so far' })
  attempts!: number;

  /** When the next attempt is due; null once delivered or dead. */
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the next attempt is due; null once delivered or dead',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The receiver's status code on the last attempt",
  })
  lastStatusCode!: number | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'Why the last attempt failed' })
  lastError!: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  deliveredAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export function webhookView(row: SubscriptionRow): WebhookView {
  return { id: row.id, url: row.url, events: row.events, createdAt: row.created_at.toISOString() };
}

export function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
