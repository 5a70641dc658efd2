import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { WEBHOOK_EVENTS, WebhookEventType } from '../webhooks/webhook-events';
import { OrderView } from './order.view';

/**
 * The body of an order event as a webhook receiver gets it: `{type, timestamp, data}` with the order
 * in its API shape (written to the outbox by OrdersService, sent by src/webhooks/webhook-dispatcher.ts).
 */
abstract class OrderEventView {
  abstract type: WebhookEventType;

  @ApiProperty({
    format: 'date-time',
    description: 'When the order changed (not when this attempt was sent)',
  })
  timestamp!: string;

  @ApiProperty({
    type: OrderView,
    description: 'The order as `GET /v1/orders/{id}` showed it after the change',
  })
  data!: OrderView;
}

@ApiSchema({ name: 'OrderCreatedEvent' })
export class OrderCreatedEventView extends OrderEventView {
  @ApiProperty({ enum: [WEBHOOK_EVENTS.ORDER_CREATED] })
  type!: typeof WEBHOOK_EVENTS.ORDER_CREATED;
}

@ApiSchema({ name: 'OrderCancelledEvent' })
export class OrderCancelledEventView extends OrderEventView {
  @ApiProperty({ enum: [WEBHOOK_EVENTS.ORDER_CANCELLED] })
  type!: typeof WEBHOOK_EVENTS.ORDER_CANCELLED;
}
