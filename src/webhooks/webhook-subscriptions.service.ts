import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import { AppError, NotFoundError } from '../common/errors/app-error';
import type { Actor } from '../common/decorators/actor.decorator';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination/cursor';
import { isUuid } from '../common/uuid';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { TransactionRunner } from '../database/transaction-runner';
import type { CreateWebhookDto } from './dto/create-webhook.dto';
import type { ListDeliveriesDto } from './dto/list-deliveries.dto';
import { generateSigningSecret, SecretBox } from './secret-box';
import { parseWebhookUrl, resolveWebhookTarget, WebhookUrlRefused } from './url-guard';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { CreatedWebhookView, DeliveryView, deliveryView, WebhookView, webhookView } from './webhook.view';
import { WEBHOOK_SECRET_BOX } from './webhooks.tokens';

/** The admin's side of webhooks: subscriptions, their deliveries, and re-queueing dead ones. */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_SECRET_BOX) private readonly secrets: SecretBox,
    private readonly subscriptions: WebhookSubscriptionsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Creates a subscription after checking its URL resolves only to public addresses (unless
   * WEBHOOKS_ALLOW_PRIVATE); the generated secret is stored encrypted and returned this once.
   */
  async create(actor: Actor, dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    try {
      await resolveWebhookTarget(parseWebhookUrl(dto.url), this.config.webhooksAllowPrivate, {
        timeoutMs: this.config.webhooks.timeoutMs,
      });
    } catch (error) {
      if (error instanceof WebhookUrlRefused) {
        throw new AppError('VALIDATION_FAILED', 'The request is not valid.', {
          errors: [{ field: 'url', message: error.message }],
        });
      }
      throw error;
    }
    const id = randomUUID();
    const secret = generateSigningSecret();
    const events = [...new Set(dto.events)];
    const row = await this.transactions.run(async (manager) => {
      const created = await this.subscriptions.insert(manager, {
        id,
        url: dto.url,
        events,
        secretCiphertext: this.secrets.seal(secret, id),
        createdBy: actor.user?.id ?? null,
      });
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.WEBHOOK_CREATED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.WEBHOOK,
        entityId: id,
        requestId: actor.requestId,
        changes: { url: dto.url, events },
      });
      return created;
    });
    return { ...webhookView(row), secret };
  }

  async list(query: PageQueryDto): Promise<Page<WebhookView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.subscriptions.list(
      limit,
      query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    );
    return toPage(rows, limit, webhookView);
  }

  /** Deletes (soft) a subscription; its pending deliveries end `dead` and no new event reaches it. */
  async remove(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFoundError('webhook');
    await this.transactions.run(async (manager) => {
      const deleted = await this.subscriptions.softDelete(manager, id);
      if (!deleted) throw new NotFoundError('webhook');
      const abandoned = await this.deliveries.abandonPendingOf(manager, id);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.WEBHOOK_DELETED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.WEBHOOK,
        entityId: id,
        requestId: actor.requestId,
        changes: { url: deleted.url, pendingDeliveriesAbandoned: abandoned },
      });
    });
  }

  async listDeliveries(subscriptionId: string, query: ListDeliveriesDto): Promise<Page<DeliveryView>> {
    if (!isUuid(subscriptionId)) throw new NotFoundError('webhook');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.deliveries.listOfSubscription(
      subscriptionId,
      { status: query.status },
      limit,
      query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    );
    if (!rows) throw new NotFoundError('webhook');
    return toPage(rows, limit, deliveryView);
  }

  /**
   * Re-queues a dead delivery: pending again, attempts from zero, due now. Only `dead` may be
   * re-queued (a pending one is already queued, a delivered one arrived) → 409 otherwise.
   */
  async retryDelivery(actor: Actor, deliveryId: string): Promise<DeliveryView> {
    if (!isUuid(deliveryId)) throw new NotFoundError('delivery');
    return this.transactions.run(async (manager) => {
      const current = await this.deliveries.lockOfLiveSubscription(manager, deliveryId);
      if (!current) throw new NotFoundError('delivery');
      if (current.status !== 'dead') {
        throw new AppError(
          'INVALID_STATE_TRANSITION',
          `The delivery is ${current.status}; only a dead delivery can be re-queued.`,
        );
      }
      const requeued = await this.deliveries.requeue(manager, deliveryId);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.WEBHOOK_DELIVERY_RETRIED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.WEBHOOK_DELIVERY,
        entityId: deliveryId,
        requestId: actor.requestId,
        changes: { status: { from: 'dead', to: 'pending' }, previousAttempts: current.attempts },
      });
      return deliveryView(requeued);
    });
  }
}
