import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { DeliveryAttempts } from './delivery-attempt';
import { DeliveryStore } from './delivery-store';
import { OutboxWriter } from './outbox.writer';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { WebhooksController } from './webhooks.controller';
import { createSecretBox, WEBHOOK_SECRET_BOX } from './webhooks.tokens';
import { WebhookRetentionJob } from './webhook-retention.job';

/**
 * Order events to other systems (CONTRACT "Webhooks", docs/webhooks.md): the transactional outbox
 * (`OutboxWriter`, exported for the orders module), the admin API and the delivery dispatcher.
 */
@Module({
  controllers: [WebhooksController],
  providers: [
    { provide: WEBHOOK_SECRET_BOX, useFactory: createSecretBox, inject: [APP_CONFIG] },
    OutboxWriter,
    DeliveryStore,
    DeliveryAttempts,
    WebhookMetrics,
    WebhookDispatcher,
    WebhookSubscriptionsService,
    WebhookRetentionJob,
  ],
  exports: [OutboxWriter],
})
export class WebhooksModule {}
