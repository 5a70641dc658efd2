import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { UNIQUE_VIOLATION, sqlState } from '../common/errors/database-errors';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../common/http/problem';
import { TransactionRunner, TransactionParticipant } from '../database/transaction-runner';
import { idempotencyScope } from './idempotency.context';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotentReplay } from './stored-response';

const SAVEPOINT = 'idempotency_work';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Business outcomes worth keeping: the same request would meet them again (or, for stock, must not
 * be retried blindly). Validation failures (400), auth (401/403), rate limits and 5xx are never kept:
 * the client may fix or retry them.
 */
/** The statuses of business outcomes that are kept and replayed, like successes. */
export const KEPT_PROBLEM_STATUSES: readonly number[] = [404, 409, 412, 422];

export function isKeptOutcome(error: unknown): error is AppError {
  return (
    error instanceof AppError &&
    KEPT_PROBLEM_STATUSES.includes(error.status) &&
    !error.code.startsWith('IDEMPOTENCY_')
  );
}

/**
 * Joins every business transaction of a request that carries an Idempotency-Key (see
 * docs/orders.md, "Idempotency"):
 * 1. `pg_try_advisory_xact_lock(user, key)`: taken by a concurrent twin → 409 IDEMPOTENCY_IN_PROGRESS;
 * 2. re-read the record (a twin may have committed since the interceptor's fast path) → replay or 422;
 * 3. SAVEPOINT, business work;
 * 4. success → the answer is inserted before COMMIT; a kept business error → ROLLBACK TO SAVEPOINT,
 *    the problem answer is inserted, COMMIT, and the error still reaches the client.
 */
@Injectable()
export class IdempotencyParticipant implements TransactionParticipant, OnModuleInit {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly repository: IdempotencyRepository,
  ) {}

  onModuleInit(): void {
    this.runner.register(this);
  }

  async onBegin(manager: EntityManager): Promise<void> {
    const ctx = idempotencyScope.getStore();
    if (!ctx || ctx.settled) return;
    if (!(await this.repository.tryLock(manager, ctx.userId, ctx.key))) {
      throw new AppError(
        'IDEMPOTENCY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry later.',
        { headers: { 'Retry-After': '1' } },
      );
    }
    const stored = await this.repository.find(ctx.userId, ctx.key, manager);
    if (stored) {
      if (stored.fingerprint !== ctx.fingerprint) throw keyReused();
      throw new IdempotentReplay(stored);
    }
    await manager.query(`SAVEPOINT ${SAVEPOINT}`);
  }

  async onCommit(manager: EntityManager, result: unknown): Promise<void> {
    const ctx = idempotencyScope.getStore();
    if (!ctx || ctx.settled) return;
    const body = JSON.stringify(result ?? null);
    const headers = { 'content-type': JSON_CONTENT_TYPE, ...lowerCaseKeys(ctx.successHeaders(result)) };
    await this.store(manager, { fingerprint: ctx.fingerprint, statusCode: ctx.successStatus, body, headers });
  }

  async onBusinessError(manager: EntityManager, error: unknown): Promise<boolean> {
    const ctx = idempotencyScope.getStore();
    if (!ctx || ctx.settled || !isKeptOutcome(error)) return false;
    await manager.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    const { problem, headers } = toProblem(error, ctx.requestId);
    await this.store(manager, {
      fingerprint: ctx.fingerprint,
      statusCode: problem.status,
      body: JSON.stringify(problem),
      headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...lowerCaseKeys(headers) },
    });
    return true;
  }

  afterCommit(): void {
    const ctx = idempotencyScope.getStore();
    if (ctx) ctx.settled = true;
  }

  private async store(
    manager: EntityManager,
    response: Parameters<IdempotencyRepository['insert']>[3],
  ): Promise<void> {
    const ctx = idempotencyScope.getStore();
    if (!ctx) return;
    try {
      await this.repository.insert(manager, ctx.userId, ctx.key, response);
    } catch (error) {
      // Unreachable while the advisory lock holds; the primary key is the backstop: the whole
      // transaction (business change included) rolls back rather than keep two answers.
      if (sqlState(error) === UNIQUE_VIOLATION)
        throw new AppError(
          'IDEMPOTENCY_IN_PROGRESS',
          'A request with this Idempotency-Key was processed concurrently; retry to get its answer.',
        );
      throw error;
    }
  }
}

export function keyReused(): AppError {
  return new AppError(
    'IDEMPOTENCY_KEY_REUSED',
    'This Idempotency-Key was already used with a different request (method, path or body).',
  );
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
