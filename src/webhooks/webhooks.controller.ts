import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { PageQueryDto } from '../common/pagination/cursor';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import type { CreatedWebhookView, DeliveryView, WebhookView } from './webhook.views';

/** Admin only (CONTRACT "Webhooks"). */
@Controller('v1/webhooks')
@Roles('admin')
export class WebhooksController {
  constructor(
    private readonly subscriptions: WebhookSubscriptionsService,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** 201 with the signing secret, shown this once. */
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.subscriptions.create(actor, dto);
  }

  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<WebhookView>> {
    return this.subscriptions.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.subscriptions.remove(actor, id);
  }

  @Get(':id/deliveries')
  deliveries(@Param('id') id: string, @Query() query: ListDeliveriesDto): Promise<Page<DeliveryView>> {
    return this.subscriptions.listDeliveries(id, query);
  }

  /** Dead → pending (attempts from zero); any other state → 409 INVALID_STATE_TRANSITION. */
  @Post('deliveries/:id/retry')
  @HttpCode(200)
  async retry(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<DeliveryView> {
    const delivery = await this.subscriptions.retryDelivery(actor, id);
    this.dispatcher.nudge();
    return delivery;
  }
}
