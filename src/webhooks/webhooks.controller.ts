import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { ApiPageResponse } from '../common/decorators/api-page-response.decorator';
import { ApiProblems } from '../common/decorators/api-problems.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { PageQueryDto } from '../common/pagination/cursor';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { CreatedWebhookView, DeliveryView, WebhookView } from './webhook.view';

/** Admin only (docs/webhooks.md). */
@ApiTags('webhooks')
@Controller('v1/webhooks')
@Roles('admin')
export class WebhooksController {
  constructor(
    private readonly subscriptions: WebhookSubscriptionsService,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** 201 with the signing secret, shown this once. */
  @Post()
  @Operation(
    'createWebhook',
    'Subscribe an endpoint to order events',
    'The answer carries the signing secret, shown this once. The events are described under `webhooks`.',
  )
  @ApiCreatedResponse({ type: CreatedWebhookView })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.subscriptions.create(actor, dto);
  }

  @Get()
  @Operation('listWebhooks', 'List the subscriptions')
  @ApiPageResponse(WebhookView)
  list(@Query() query: PageQueryDto): Promise<Page<WebhookView>> {
    return this.subscriptions.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @Operation('deleteWebhook', 'Delete a subscription', 'Its pending deliveries end dead.')
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.subscriptions.remove(actor, id);
  }

  @Get(':id/deliveries')
  @Operation('listWebhookDeliveries', "List a subscription's deliveries")
  @ApiPageResponse(DeliveryView)
  deliveries(@Param('id') id: string, @Query() query: ListDeliveriesDto): Promise<Page<DeliveryView>> {
    return this.subscriptions.listDeliveries(id, query);
  }

  /** Dead → pending (attempts from zero); any other state → 409 INVALID_STATE_TRANSITION. */
  @Post('deliveries/:id/retry')
  @HttpCode(200)
  @Operation('retryWebhookDelivery', 'Send a dead delivery again', 'Dead → pending, attempts from zero.')
  @ApiOkResponse({ type: DeliveryView, description: 'The delivery, pending again' })
  @ApiProblems('INVALID_STATE_TRANSITION')
  async retry(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<DeliveryView> {
    const delivery = await this.subscriptions.retryDelivery(actor, id);
    this.dispatcher.nudge();
    return delivery;
  }
}
