import type { Type } from '@nestjs/common';
import type { ParameterObject, PathItemObject } from '@nestjs/swagger';
import { getSchemaPath } from '@nestjs/swagger';
import { OrderCancelledEventView, OrderCreatedEventView } from '../orders/order-event.view';
import type { WebhookEventType } from '../webhooks/webhook-events';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';

/** Each event type's body: typed by the event types, so a new type does not compile until it is documented. */
const EVENTS: Record<WebhookEventType, { view: Type; summary: string }> = {
  [WEBHOOK_EVENTS.ORDER_CREATED]: { view: OrderCreatedEventView, summary: 'An order was placed' },
  [WEBHOOK_EVENTS.ORDER_CANCELLED]: { view: OrderCancelledEventView, summary: 'An order was cancelled' },
};

export const WEBHOOK_EVENT_VIEWS: Type[] = Object.values(EVENTS).map((event) => event.view);

/** The headers of every delivery (src/webhooks/signer.ts and the dispatcher), per https://www.standardwebhooks.com/. */
const DELIVERY_HEADERS: ParameterObject[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: "The event's id: the same on every attempt and for every subscriber (deduplicate by it)",
    schema: { type: 'string', format: 'uuid' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'When this attempt was signed, in seconds since the epoch (reject old ones to stop replays)',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with the secret shown when the subscription was created',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+$' },
  },
  {
    name: 'webhook-attempt',
    in: 'header',
    required: true,
    description: 'The attempt number, from 1 (not part of the Standard Webhooks specification)',
    schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
  },
];

/**
 * The OpenAPI 3.1 `webhooks` section: what Bulwark POSTs to a subscription's URL for each event
 * type it subscribed to. Delivered at least once, retried with backoff until a 2xx, then dead.
 */
export function webhookPathItems(): Record<string, PathItemObject> {
  return Object.fromEntries(
    Object.entries(EVENTS).map(([type, { view, summary }]) => [
      type,
      {
        post: {
          operationId: `on${view.name.replace(/View$/, '')}`,
          summary,
          description:
            'Sent to each subscription to this event type, signed per Standard Webhooks. Any 2xx ends the delivery; ' +
            'anything else (or no answer within WEBHOOK_TIMEOUT_MS) is retried with backoff, up to WEBHOOK_MAX_ATTEMPTS.',
          tags: ['webhooks'],
          parameters: DELIVERY_HEADERS,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: getSchemaPath(view) } } },
          },
          responses: {
            '2XX': { description: 'Received: the delivery is done' },
            default: { description: 'Not received: the attempt is retried later' },
          },
        },
      },
    ]),
  );
}
