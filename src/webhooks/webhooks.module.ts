import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '../config/config.module';
import { DeliveryAttempts } from './delivery-attempt';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxRepository } from './outbox.repository';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookSubscription } from './webhook-subscription.entity';
import { OutboxWriter } from './outbox.writer';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { WebhooksController } from './webhooks.controller';
import { createSecretBox, WEBHOOK_SECRET_BOX } from './webhooks.tokens';
import { WebhookRetentionJob } from './webhook-retention.job';

/**
 * Order events to other systems (docs/webhooks.md): the transactional outbox
 * (`OutboxWriter`, exported for the orders module), the admin API and the delivery dispatcher.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEvent, WebhookSubscription, WebhookDelivery])],
  controllers: [WebhooksController],
  providers: [
    { provide: WEBHOOK_SECRET_BOX, useFactory: createSecretBox, inject: [APP_CONFIG] },
    OutboxRepository,
    OutboxWriter,
    WebhookDeliveriesRepository,
    WebhookSubscriptionsRepository,
    DeliveryAttempts,
    WebhookMetrics,
    WebhookDispatcher,
    WebhookSubscriptionsService,
    WebhookRetentionJob,
  ],
  exports: [OutboxWriter],
})
export class WebhooksModule {}
