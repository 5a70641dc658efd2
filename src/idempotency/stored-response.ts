import type { HeaderObject, ParameterObject } from '@nestjs/swagger';

/** A kept answer, replayed verbatim for a repeat of the same request. */
export interface StoredResponse {
  fingerprint: string;
  statusCode: number;
  /** The body exactly as first sent (JSON text). */
  body: string;
  /** Content-Type and e.g. Location. */
  headers: Record<string, string>;
}

/** Thrown to answer with a stored response; the route's IdempotentReplayFilter sends it. */
export class IdempotentReplay extends Error {
  constructor(readonly response: StoredResponse) {
    super('idempotent replay');
    this.name = 'IdempotentReplay';
  }
}

export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_KEY_LENGTH = 255;

/** OpenAPI description of the `Idempotency-Key` request header of `@Idempotent()` routes. */
export const IDEMPOTENCY_KEY_PARAMETER: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: a repeat with the same key, method, path and body answers the first answer ' +
    '(kept at least 24 h) with `Idempotent-Replayed: true` and changes nothing. Scoped to the caller.',
  schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH },
};

/** OpenAPI description of the `Idempotent-Replayed` answer header. */
export const REPLAYED_HEADER_DOC: HeaderObject = {
  required: false,
  description: 'Present (`true`) when this answer is the kept answer of an earlier request with the same key',
  schema: { type: 'string', enum: ['true'] },
};
