import { ERROR_CODES, ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  /** How many field errors were found beyond those in `errors` (a problem lists a bounded number). */
  errorsOmitted?: number;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * A failure with a stable code. Services throw these (never `HttpException`); the exception filter
 * maps `code` to the HTTP status and problem document.
 */
export class AppError extends Error {
  readonly errors?: FieldError[];
  readonly errorsOmitted?: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options: AppErrorOptions = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.errors = options.errors;
    this.errorsOmitted = options.errorsOmitted;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Named domain errors used in more than one place. */
export class NotFoundError extends AppError {
  constructor(what = 'resource') {
    super('NOT_FOUND', `The ${what} does not exist or is not visible to you.`);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail = 'A dependency is unavailable; retry shortly.', cause?: unknown) {
    super('SERVICE_UNAVAILABLE', detail, { headers: { 'Retry-After': '1' }, cause });
  }
}
