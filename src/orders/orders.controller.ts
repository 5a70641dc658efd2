import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { ApiPageResponse } from '../common/decorators/api-page-response.decorator';
import { ApiProblems } from '../common/decorators/api-problems.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { LOCATION_HEADER_DOC } from '../common/http/documented-headers';
import type { Page } from '../common/pagination/cursor';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { OrderRateLimit } from '../rate-limit/rate-limit.decorator';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersDto } from './dto/list-orders.dto';
import { orderLocation, OrderView } from './order.view';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @Operation(
    'createOrder',
    'Place an order',
    'In one transaction: every item’s stock is decremented, the order and its audit entry are written, and its `order.created` event is queued for webhooks. Nothing changes when any item is short.',
  )
  @ApiCreatedResponse({ type: OrderView, headers: { Location: LOCATION_HEADER_DOC } })
  @ApiProblems('INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT')
  @OrderRateLimit()
  @Idempotent<OrderView>({ headers: (order) => ({ Location: orderLocation(order.id) }) })
  async create(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateOrderDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const order = await this.orders.create(actor, dto);
    void reply.header('Location', orderLocation(order.id));
    return order;
  }

  @Get()
  @Operation(
    'listOrders',
    'List orders',
    'A user sees their own orders; an admin sees everyone’s (`?userId=` narrows).',
  )
  @ApiPageResponse(OrderView)
  list(@CurrentActor() actor: Actor, @Query() query: ListOrdersDto): Promise<Page<OrderView>> {
    return this.orders.list(actor, query);
  }

  @Get(':id')
  @Operation(
    'getOrder',
    'Get an order',
    'The owner or an admin; anyone else gets 404, as for a missing order.',
  )
  @ApiOkResponse({ type: OrderView })
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.get(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Operation(
    'cancelOrder',
    'Cancel an order',
    'Owner or admin: confirmed → cancelled with every item’s stock given back, in one transaction.',
  )
  @ApiOkResponse({ type: OrderView, description: 'The cancelled order' })
  @ApiProblems('INVALID_STATE_TRANSITION')
  @Idempotent()
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.cancel(actor, id);
  }
}
