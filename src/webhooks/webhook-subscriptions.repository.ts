import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CursorPosition } from '../common/pagination/cursor';
import { Keyset } from '../database/keyset';
import { one, rows, SqlParams, whereAll } from '../database/sql';
import type { WebhookEventType } from './webhook-events';

/** A subscription as the admin API shows it (snake_case columns); never its secret. */
export interface SubscriptionRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  created_at: Date;
}

const PAGES = new Keyset('created_at', 'id');

/** The `webhook_subscriptions` table (soft delete: deleted subscriptions keep their history). */
@Injectable()
export class WebhookSubscriptionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    subscription: {
      id: string;
      url: string;
      events: WebhookEventType[];
      secretCiphertext: Buffer;
      createdBy: string | null;
    },
  ): Promise<SubscriptionRow> {
    const [created] = await rows<SubscriptionRow>(
      manager,
      `INSERT INTO webhook_subscriptions (id, url, events, secret_ciphertext, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, url, events, created_at`,
      [
        subscription.id,
        subscription.url,
        subscription.events,
        subscription.secretCiphertext,
        subscription.createdBy,
      ],
    );
    return created;
  }

  /** Live subscriptions, newest first, `limit + 1` rows from after `after`. */
  list(limit: number, after?: CursorPosition): Promise<Array<SubscriptionRow & { cursorMicros: string }>> {
    const params = new SqlParams();
    const where = whereAll(['deleted_at IS NULL', PAGES.after(after, params)]);
    return rows(
      this.dataSource,
      `SELECT id, url, events, created_at, ${PAGES.cursor}
         FROM webhook_subscriptions ${where} ${PAGES.orderBy} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
  }

  /** Marks a live subscription deleted; undefined when there is none. */
  softDelete(manager: EntityManager, id: string): Promise<{ id: string; url: string } | undefined> {
    return one(
      manager,
      `UPDATE webhook_subscriptions SET deleted_at = clock_timestamp() WHERE id = $1 AND deleted_at IS NULL RETURNING id, url`,
      [id],
    );
  }
}
