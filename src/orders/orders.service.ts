import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import { Actor, requireUser } from '../common/decorators/actor.decorator';
import { AppError, NotFoundError } from '../common/errors/app-error';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '../common/pagination/cursor';
import { isUuid } from '../common/uuid';
import { TransactionRunner } from '../database/transaction-runner';
import { MetricsService } from '../metrics/metrics.service';
import { OutboxWriter } from '../webhooks/outbox.writer';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';
import type { CreateOrderDto } from './dto/create-order.dto';
import type { ListOrdersDto } from './dto/list-orders.dto';
import { OrderItemView, OrderView, toOrderView } from './order.view';
import { OrdersRepository } from './orders.repository';

/**
 * Orders that never oversell (docs/orders.md). Each business operation is ONE transaction, opened
 * here: `create` and `cancel` are the only places an order comes to be or ends, so everything that
 * must commit with them (audit entry, idempotency record through the TransactionRunner participant,
 * the webhook outbox) joins there.
 */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly outbox: OutboxWriter,
    @Optional() @Inject(MetricsService) private readonly metrics?: MetricsService,
  ) {}

  async create(actor: Actor, dto: CreateOrderDto): Promise<OrderView> {
    const user = requireUser(actor);
    // Product-id order: the order in which rows are locked (see OrdersRepository).
    const byProduct = [...dto.items].sort((a, b) =>
      a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
    );
    const productIds = byProduct.map((i) => i.productId);
    try {
      const order = await this.tx.run(async (manager) => {
        const { prices, unknown } = await this.orders.reserveStock(
          manager,
          productIds,
          byProduct.map((i) => i.quantity),
        );
        // Something was not decremented: throwing undoes the decrements that were made.
        if (unknown.length > 0) throw unknownProducts(dto, unknown);
        if (prices.size < productIds.length) throw insufficientStock(dto, prices);
        const items: OrderItemView[] = dto.items.map((i) => ({
          productId: i.productId,
          quantity: i.quantity,
          unitPriceCents: prices.get(i.productId) as number,
        }));
        const totalCents = items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
        const row = await this.orders.insert(manager, {
          id: randomUUID(),
          userId: user.id,
          totalCents,
          items,
        });
        const view = toOrderView(row, items);
        await this.audit.record(manager, {
          action: AUDIT_ACTIONS.ORDER_CREATED,
          actorId: user.id,
          entity: AUDIT_ENTITIES.ORDER,
          entityId: view.id,
          requestId: actor.requestId,
          changes: { status: view.status, totalCents: view.totalCents, items: view.items },
        });
        await this.outbox.enqueue(manager, {
          type: WEBHOOK_EVENTS.ORDER_CREATED,
          aggregateId: view.id,
          payload: { ...view },
        });
        return view;
      });
      this.metrics?.ordersCreated.inc();
      return order;
    } catch (error) {
      if (error instanceof AppError && error.code === 'INSUFFICIENT_STOCK')
        this.metrics?.orderStockConflicts.inc();
      throw error;
    }
  }

  /** confirmed → cancelled with every item's stock given back, in one transaction. Owner or admin. */
  async cancel(actor: Actor, id: string): Promise<OrderView> {
    const user = requireUser(actor);
    if (!isUuid(id)) throw new NotFoundError('order');
    const ownerId = user.role === 'admin' ? null : user.id;
    const order = await this.tx.run(async (manager) => {
      const row = await this.orders.markCancelled(manager, id, ownerId);
      if (!row) {
        const status = await this.orders.statusOf(manager, id, ownerId);
        if (!status) throw new NotFoundError('order');
        throw new AppError(
          'INVALID_STATE_TRANSITION',
          `The order is ${status}; only a confirmed order can be cancelled.`,
        );
      }
      const items = await this.orders.restoreStock(manager, id);
      const view = toOrderView(row, items);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.ORDER_CANCELLED,
        actorId: user.id,
        entity: AUDIT_ENTITIES.ORDER,
        entityId: id,
        requestId: actor.requestId,
        changes: {
          status: { from: 'confirmed', to: 'cancelled' },
          restocked: items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
        },
      });
      await this.outbox.enqueue(manager, {
        type: WEBHOOK_EVENTS.ORDER_CANCELLED,
        aggregateId: id,
        payload: { ...view },
      });
      return view;
    });
    this.metrics?.ordersCancelled.inc();
    return order;
  }

  /** The owner or an admin; anyone else gets the same 404 as for a missing order (no BOLA oracle). */
  async get(actor: Actor, id: string): Promise<OrderView> {
    const user = requireUser(actor);
    const row = isUuid(id)
      ? await this.orders.findVisible(id, user.role === 'admin' ? null : user.id)
      : undefined;
    if (!row) throw new NotFoundError('order');
    return toOrderView(row, row.items);
  }

  /** A user's own orders; an admin's view of all, or of `userId`'s. */
  async list(actor: Actor, query: ListOrdersDto): Promise<Page<OrderView>> {
    const user = requireUser(actor);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const userIds = [
      ...(user.role === 'admin' ? [] : [user.id]),
      ...(query.userId === undefined ? [] : [query.userId]),
    ];
    const rows = await this.orders.list({
      userIds,
      limit,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    return toPage(rows, limit, (row) => toOrderView(row, row.items));
  }
}

function unknownProducts(dto: CreateOrderDto, unknown: string[]): AppError {
  return new AppError('UNKNOWN_PRODUCT', `No product has the id ${unknown.join(', ')}.`, {
    errors: dto.items.flatMap((item, index) =>
      unknown.includes(item.productId)
        ? [{ field: `items.${index}.productId`, message: 'unknown product' }]
        : [],
    ),
  });
}

function insufficientStock(dto: CreateOrderDto, reserved: Map<string, number>): AppError {
  return new AppError('INSUFFICIENT_STOCK', 'Not enough stock for every item; nothing was ordered.', {
    errors: dto.items.flatMap((item, index) =>
      reserved.has(item.productId)
        ? []
        : [{ field: `items.${index}.quantity`, message: 'more than the stock available' }],
    ),
  });
}
