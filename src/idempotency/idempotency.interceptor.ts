import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { userOf } from '../common/auth-user';
import { AppError } from '../common/errors/app-error';
import { requestFingerprint } from './fingerprint';
import { IdempotencyContext, idempotencyScope } from './idempotency.context';
import { IdempotencyRepository } from './idempotency.repository';
import { keyReused } from './idempotency.participant';
import { IDEMPOTENCY_KEY_HEADER, IdempotentReplay, MAX_KEY_LENGTH } from './stored-response';

export const IDEMPOTENT_OPTIONS = 'bulwark:idempotent';

export interface IdempotentOptions {
  /** Headers kept with a success answer and replayed with it, computed from the returned body (e.g. Location). */
  headers?: (body: never) => Record<string, string>;
}

/**
 * The Idempotency-Key mechanism of `@Idempotent()` routes (IETF draft-ietf-httpapi-idempotency-key-header).
 * No header → the request is processed normally. Otherwise the fast path answers a completed key
 * without touching the handler; a new key runs the handler with an idempotency context that the
 * transaction participant (IdempotencyParticipant) turns into a lock, a savepoint and a kept answer.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    const user = userOf(request);
    if (header === undefined || !user) return next.handle();
    const key = Array.isArray(header) ? undefined : header;
    if (key === undefined || key.length < 1 || key.length > MAX_KEY_LENGTH) {
      throw new AppError('VALIDATION_FAILED', 'The request is not valid.', {
        errors: [
          {
            field: 'Idempotency-Key',
            message: `Idempotency-Key must be one value of 1 to ${MAX_KEY_LENGTH} characters`,
          },
        ],
      });
    }

    const fingerprint = requestFingerprint({
      method: request.method,
      route: request.routeOptions.url ?? '',
      path: request.url.split('?')[0] ?? '',
      body: request.body,
    });
    const stored = await this.repository.find(user.id, key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) throw keyReused();
      throw new IdempotentReplay(stored);
    }

    const handler = context.getHandler();
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT_OPTIONS, handler) ?? {};
    const ctx: IdempotencyContext = {
      userId: user.id,
      key,
      fingerprint,
      requestId: request.id,
      successStatus:
        this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ??
        (request.method === 'POST' ? 201 : 200),
      successHeaders: (body) => (options.headers ? options.headers(body as never) : {}),
      settled: false,
    };
    // The handler runs when the Observable is subscribed: subscribe inside the scope so every await
    // of the handler (and its transaction) sees the context.
    return new Observable((subscriber) =>
      idempotencyScope.run(ctx, () => next.handle().subscribe(subscriber)),
    );
  }
}
