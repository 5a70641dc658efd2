import type { HeaderObject, ParameterObject } from '@nestjs/swagger';
import { VALID_REQUEST_ID } from './request-id';

/**
 * The OpenAPI description of the headers every route shares; the document builder (src/docs/)
 * puts them on every operation. Headers of one feature are described beside the code that sets
 * them (ETag in src/products/etag.ts, Idempotency-Key in src/idempotency/stored-response.ts).
 */
export const REQUEST_ID_PARAMETER: ParameterObject = {
  name: 'X-Request-Id',
  in: 'header',
  required: false,
  description:
    'Kept when it is 1–128 characters of `[A-Za-z0-9._-]`, otherwise replaced by a new UUID; ' +
    'echoed in the answer, in logs and in problem documents',
  schema: { type: 'string' },
};

export const REQUEST_ID_HEADER_DOC: HeaderObject = {
  required: true,
  description: "The request's id: the caller's `X-Request-Id` when valid, otherwise a new UUID",
  schema: { type: 'string', pattern: VALID_REQUEST_ID.source },
};

export const RETRY_AFTER_HEADER_DOC: HeaderObject = {
  required: true,
  description: 'Seconds to wait before retrying',
  schema: { type: 'string', pattern: '^[0-9]+$' },
};

export const LOCATION_HEADER_DOC: HeaderObject = {
  required: true,
  description: 'Path of the created resource',
  schema: { type: 'string', format: 'uri-reference' },
};
