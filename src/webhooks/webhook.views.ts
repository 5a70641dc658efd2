import type { DeliveryStatus, WebhookEventType } from './webhook-events';

/** A subscription as the API shows it; the signing secret only ever appears in the create answer. */
export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
}

export interface CreatedWebhookView extends WebhookView {
  /** `whsec_…`: shown once, never again. */
  secret: string;
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due; null once delivered or dead. */
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  created_at: Date;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
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

export const DELIVERY_COLUMNS = `d.id, d.subscription_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.updated_at`;
