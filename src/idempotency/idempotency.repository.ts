import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { StoredResponse } from './stored-response';
import { affected, one } from '../database/sql';

interface Row {
  fingerprint: string;
  status_code: number;
  body: string;
  headers: Record<string, string>;
}

const toStored = (row: Row): StoredResponse => ({
  fingerprint: row.fingerprint,
  statusCode: row.status_code,
  body: row.body,
  headers: row.headers,
});

/** The `idempotency_keys` table: one kept answer per (user, key). */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Outside any transaction (the interceptor's fast path) when no manager is given. */
  async find(userId: string, key: string, manager?: EntityManager): Promise<StoredResponse | undefined> {
    const row = await one<Row>(
      manager ?? this.dataSource,
      'SELECT fingerprint, status_code, body, headers FROM idempotency_keys WHERE user_id = $1 AND key = $2',
      [userId, key],
    );
    return row && toStored(row);
  }

  /**
   * Transaction-scoped advisory lock on (user, key): false when another transaction holds it (the same
   * request in flight). Released by COMMIT/ROLLBACK or when the connection dies, so a crashed request
   * never leaves a key locked (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
   */
  async tryLock(manager: EntityManager, userId: string, key: string): Promise<boolean> {
    const row = await one<{ locked: boolean }>(
      manager,
      "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0)) AS locked",
      [userId, key],
    );
    return row?.locked === true;
  }

  async insert(manager: EntityManager, userId: string, key: string, response: StoredResponse): Promise<void> {
    await affected(
      manager,
      'INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, body, headers) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        userId,
        key,
        response.fingerprint,
        response.statusCode,
        response.body,
        JSON.stringify(response.headers),
      ],
    );
  }

  /** Deletes answers older than `olderThanMs`, in batches (short transactions, no long lock). */
  async purgeOlderThan(olderThanMs: number, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await affected(
        this.dataSource,
        `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::double precision / 1000) LIMIT $2))`,
        [olderThanMs, batchSize],
      );
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
