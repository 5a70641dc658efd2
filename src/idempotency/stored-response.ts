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
