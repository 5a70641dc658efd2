import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { DEADLOCK_DETECTED, SERIALIZATION_FAILURE, sqlState } from '../common/errors/database-errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Admission } from './admission';
import { beginWait, databaseWaitBudgetMs } from './wait-budget';

const MAX_ATTEMPTS = 5;
const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 200;

export function isRetryableTransactionError(error: unknown): boolean {
  const state = sqlState(error);
  return state === SERIALIZATION_FAILURE || state === DEADLOCK_DETECTED;
}

/** Capped exponential backoff with full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

/**
 * Something that takes part in every business transaction without the business code knowing it
 * (the idempotency record is one). Hooks run inside the transaction, on its `EntityManager`:
 * - `onBegin` before the work; throwing aborts the transaction (nothing was done yet);
 * - `onCommit` after the work succeeded, before COMMIT (writes here commit with the work);
 * - `onBusinessError` when the work threw; answering `true` means "I undid the work myself and wrote
 *   something that must be kept": the transaction then COMMITs and the error is rethrown after;
 * - `afterCommit` once the transaction has committed.
 */
export interface TransactionParticipant {
  onBegin(manager: EntityManager): Promise<void>;
  onCommit(manager: EntityManager, result: unknown): Promise<void>;
  onBusinessError(manager: EntityManager, error: unknown): Promise<boolean>;
  afterCommit?(): void;
}

/** Connections of the pool left to reads and the authentication query while transactions queue. */
const POOL_HEADROOM = 2;

/**
 * Runs one business operation in one transaction. The service method that calls `run` owns the
 * transaction; audit and idempotency records join it through the `EntityManager` they are given.
 * Serialization failures and deadlocks (40001, 40P01) are retried with capped, jittered backoff.
 *
 * Admission: at most `DB_POOL_MAX - 2` transactions hold a connection at once; the rest wait here,
 * first come first served, for up to DB_STATEMENT_TIMEOUT_MS, or less when the request has less of
 * its database budget left (wait-budget.ts), then 503. Without it a burst (1,000
 * orders at once on a 10-connection pool) would wait in the pool's own queue, whose 800 ms
 * acquisition timeout is meant to detect an unreachable database, and most of the burst would get
 * 503 although the database is healthy; the headroom keeps reads and sign-in checks flowing.
 */
@Injectable()
export class TransactionRunner {
  private readonly participants: TransactionParticipant[] = [];
  private readonly admission?: Admission;
  private readonly budgetMs: number = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    if (config) {
      this.admission = new Admission(
        Math.max(1, config.dbPoolMax - POOL_HEADROOM),
        config.dbStatementTimeoutMs,
      );
      this.budgetMs = databaseWaitBudgetMs(config.dbStatementTimeoutMs);
    }
  }

  /** Registered once at start by the module that owns the participant (see IdempotencyParticipant). */
  register(participant: TransactionParticipant): void {
    if (!this.participants.includes(participant)) this.participants.push(participant);
  }

  async run<T>(
    work: (manager: EntityManager) => Promise<T>,
    isolation: IsolationLevel = 'READ COMMITTED',
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.admitted(() => this.attempt(work, isolation));
      } catch (error) {
        if (!isRetryableTransactionError(error) || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
      }
    }
  }

  /** Through the admission, whose wait counts against the request's database budget. */
  private async admitted<T>(work: () => Promise<T>): Promise<T> {
    if (!this.admission) return work();
    const wait = beginWait(this.admission.maxWaitMs, this.budgetMs);
    try {
      return await this.admission.run(() => {
        wait.end();
        return work();
      }, wait.boundMs);
    } finally {
      wait.end();
    }
  }

  private async attempt<T>(
    work: (manager: EntityManager) => Promise<T>,
    isolation: IsolationLevel,
  ): Promise<T> {
    const participants = this.participants;
    if (participants.length === 0) return this.dataSource.transaction(isolation, work);

    // A business failure a participant chose to keep: committed, then rethrown to the caller.
    let kept: { error: unknown } | undefined;
    const value = await this.dataSource.transaction(isolation, async (manager) => {
      for (const p of participants) await p.onBegin(manager);
      let result: T;
      try {
        result = await work(manager);
      } catch (error) {
        let keep = false;
        for (const p of participants) keep = (await p.onBusinessError(manager, error)) || keep;
        if (!keep) throw error;
        kept = { error };
        return undefined as T;
      }
      for (const p of participants) await p.onCommit(manager, result);
      return result;
    });
    for (const p of participants) p.afterCommit?.();
    if (kept) throw kept.error;
    return value;
  }
}
