/**
 * Every problem code the API can answer, with its HTTP status and title (docs/api.md, "Errors").
 * Services raise `AppError`s naming one of these; the exception filter is the one place that turns
 * them into HTTP answers.
 */
export const ERROR_CODES = {
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  CURRENT_PASSWORD_INVALID: { status: 400, title: 'Current password missing or wrong' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid e-mail or password' },
  REFRESH_TOKEN_REUSED: { status: 401, title: 'Refresh token reused' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  EMAIL_TAKEN: { status: 409, title: 'E-mail already registered' },
  SKU_TAKEN: { status: 409, title: 'SKU already exists' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Insufficient stock' },
  INVALID_STATE_TRANSITION: { status: 409, title: 'Invalid state transition' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this idempotency key is in progress' },
  LAST_ADMIN: { status: 409, title: 'The last enabled admin cannot be demoted or disabled' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  URI_TOO_LONG: { status: 414, title: 'URI too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  UNKNOWN_PRODUCT: { status: 422, title: 'Unknown product' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused with a different request' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  FAULT_INJECTED: { status: 500, title: 'Injected fault' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
