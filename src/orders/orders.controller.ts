import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import type { Page } from '../common/pagination/cursor';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { OrderRateLimit } from '../rate-limit/rate-limit.decorators';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersDto } from './dto/list-orders.dto';
import { orderLocation, OrderView } from './order.view';
import { OrdersService } from './orders.service';

@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
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
  list(@CurrentActor() actor: Actor, @Query() query: ListOrdersDto): Promise<Page<OrderView>> {
    return this.orders.list(actor, query);
  }

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.get(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.cancel(actor, id);
  }
}
