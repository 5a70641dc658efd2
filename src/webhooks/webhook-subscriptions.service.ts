import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import { AppError, NotFoundError } from '../common/errors/app-error';
import type { Actor } from '../common/decorators/actor.decorator';
import {
  cursorMicrosSql,
  cursorTimestampSql,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageQueryDto,
  toPage,
} from '../common/pagination/cursor';
import { isUuid } from '../common/uuid';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { TransactionRunner } from '../database/transaction-runner';
import type { CreateWebhookDto } from './dto/create-webhook.dto';
import type { ListDeliveriesDto } from './dto/list-deliveries.dto';
import { generateSigningSecret, SecretBox } from './secret-box';
import { parseWebhookUrl, resolveWebhookTarget, WebhookUrlRefused } from './url-guard';
import {
  CreatedWebhookView,
  DELIVERY_COLUMNS,
  DeliveryRow,
  DeliveryView,
  deliveryView,
  SubscriptionRow,
  WebhookView,
  webhookView,
} from './webhook.view';
import { WEBHOOK_SECRET_BOX } from './webhooks.tokens';

type Cursored<T> = T & { cursorMicros: string };

/** The admin's side of webhooks: subscriptions, their deliveries, and re-queueing dead ones. */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_SECRET_BOX) private readonly secrets: SecretBox,
    private readonly dataSource: DataSource,
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
      const [created] = (await manager.query(
        `INSERT INTO webhook_subscriptions (id, url, events, secret_ciphertext, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, url, events, created_at`,
        [id, dto.url, events, this.secrets.seal(secret, id), actor.user?.id ?? null],
      )) as SubscriptionRow[];
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
    const params: unknown[] = [limit + 1];
    let after = '';
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor);
      params.push(position.atMicros, position.id);
      after = `AND (created_at, id) < (${cursorTimestampSql('$2')}, $3::uuid)`;
    }
    const rows = (await this.dataSource.query(
      `SELECT id, url, events, created_at, ${cursorMicrosSql('created_at')} AS "cursorMicros"
         FROM webhook_subscriptions WHERE deleted_at IS NULL ${after}
        ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    )) as Array<Cursored<SubscriptionRow>>;
    return toPage(rows, limit, webhookView);
  }

  /** Deletes (soft) a subscription; its pending deliveries end `dead` and no new event reaches it. */
  async remove(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFoundError('webhook');
    await this.transactions.run(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE webhook_subscriptions SET deleted_at = clock_timestamp() WHERE id = $1 AND deleted_at IS NULL RETURNING id, url`,
        [id],
      )) as [Array<{ id: string; url: string }>, number];
      if (rows.length === 0) throw new NotFoundError('webhook');
      const [, abandoned] = (await manager.query(
        `UPDATE webhook_deliveries SET status = 'dead', last_error = 'subscription deleted', updated_at = clock_timestamp()
         WHERE subscription_id = $1 AND status = 'pending'`,
        [id],
      )) as [unknown[], number];
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.WEBHOOK_DELETED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.WEBHOOK,
        entityId: id,
        requestId: actor.requestId,
        changes: { url: rows[0].url, pendingDeliveriesAbandoned: abandoned },
      });
    });
  }

  async listDeliveries(subscriptionId: string, query: ListDeliveriesDto): Promise<Page<DeliveryView>> {
    if (!isUuid(subscriptionId)) throw new NotFoundError('webhook');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params: unknown[] = [subscriptionId, limit + 1];
    const where: string[] = ['d.subscription_id = $1'];
    if (query.status !== undefined) {
      params.push(query.status);
      where.push(`d.status = $${params.length}`);
    }
    if (query.cursor !== undefined) {
      const position = decodeCursor(query.cursor);
      params.push(position.atMicros, position.id);
      where.push(
        `(d.created_at, d.id) < (${cursorTimestampSql(`$${params.length - 1}`)}, $${params.length}::uuid)`,
      );
    }
    // One round trip: the subscription's existence and the page (a LEFT JOIN keeps the subscription
    // row when it has no delivery on this page).
    const rows = (await this.dataSource.query(
      `SELECT s.id AS subscription, ${DELIVERY_COLUMNS}, ${cursorMicrosSql('d.created_at')} AS "cursorMicros"
         FROM webhook_subscriptions s
         LEFT JOIN LATERAL (
           SELECT * FROM webhook_deliveries d WHERE ${where.join(' AND ')}
           ORDER BY d.created_at DESC, d.id DESC LIMIT $2
         ) d ON true
         LEFT JOIN outbox_events e ON e.id = d.event_id
        WHERE s.id = $1 AND s.deleted_at IS NULL
        ORDER BY d.created_at DESC, d.id DESC`,
      params,
    )) as Array<Cursored<DeliveryRow> & { subscription: string }>;
    if (rows.length === 0) throw new NotFoundError('webhook');
    return toPage(
      rows.filter((r) => r.id !== null),
      limit,
      deliveryView,
    );
  }

  /**
   * Re-queues a dead delivery: pending again, attempts from zero, due now. Only `dead` may be
   * re-queued (a pending one is already queued, a delivered one arrived) → 409 otherwise.
   */
  async retryDelivery(actor: Actor, deliveryId: string): Promise<DeliveryView> {
    if (!isUuid(deliveryId)) throw new NotFoundError('delivery');
    return this.transactions.run(async (manager) => {
      const current = await this.lockDelivery(manager, deliveryId);
      if (current.status !== 'dead') {
        throw new AppError(
          'INVALID_STATE_TRANSITION',
          `The delivery is ${current.status}; only a dead delivery can be re-queued.`,
        );
      }
      const [rows] = (await manager.query(
        `UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(), last_error = NULL,
                last_status_code = NULL, updated_at = clock_timestamp()
           FROM outbox_events e
          WHERE d.id = $1 AND e.id = d.event_id
         RETURNING ${DELIVERY_COLUMNS}`,
        [deliveryId],
      )) as [DeliveryRow[], number];
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.WEBHOOK_DELIVERY_RETRIED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.WEBHOOK_DELIVERY,
        entityId: deliveryId,
        requestId: actor.requestId,
        changes: { status: { from: 'dead', to: 'pending' }, previousAttempts: current.attempts },
      });
      return deliveryView(rows[0]);
    });
  }

  /** The delivery, locked for the transaction; 404 when it or its subscription is gone. */
  private async lockDelivery(
    manager: EntityManager,
    id: string,
  ): Promise<{ status: string; attempts: number }> {
    const rows = (await manager.query(
      `SELECT d.status, d.attempts FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.deleted_at IS NULL
        WHERE d.id = $1 FOR UPDATE OF d`,
      [id],
    )) as Array<{ status: string; attempts: number }>;
    if (rows.length === 0) throw new NotFoundError('delivery');
    return rows[0];
  }
}
