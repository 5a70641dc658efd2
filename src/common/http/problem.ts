import { HttpException } from '@nestjs/common';
import { AppError, FieldError } from '../errors/app-error';
import { ERROR_CODES, ErrorCode } from '../errors/error-codes';
import {
  RefusedValueError,
  translateDataException,
  translateInfrastructureError,
} from '../errors/database-errors';
import type { ProblemView } from './problem.view';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: ErrorCode): string {
  return `https://bulwark.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Fastify's own errors (body parsing, limits) by their `code`. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Safe, fixed details for codes whose underlying message must never reach a client. */
const GENERIC_DETAIL: Partial<Record<ErrorCode, string>> = {
  INTERNAL_ERROR: 'An unexpected error occurred. Quote the request id when reporting it.',
  NOT_FOUND: 'The resource does not exist or is not visible to you.',
  MALFORMED_JSON: 'The request body is not valid JSON.',
  PAYLOAD_TOO_LARGE: 'The request body exceeds 100 KiB.',
};

export interface ProblemAnswer {
  problem: ProblemView;
  headers: Record<string, string>;
  /** True when the failure was not foreseen: log it with its stack. */
  unexpected: boolean;
  /** True when the database refused a value that validation let through: a gap to log and close. */
  refusedByDatabase: boolean;
}

/**
 * Turns any thrown value into a problem answer. Only `AppError` details and known framework
 * failures are shown to clients; anything else becomes a generic 500 with no internal message.
 */
export function toProblem(thrown: unknown, requestId: string): ProblemAnswer {
  const error = translateDataException(translateInfrastructureError(thrown));
  let code: ErrorCode = 'INTERNAL_ERROR';
  let detail: string | undefined;
  let errors: FieldError[] | undefined;
  let errorsOmitted: number | undefined;
  let headers: Record<string, string> = {};

  if (error instanceof AppError) {
    ({ code, errors, errorsOmitted, headers } = error);
    detail = error.message;
  } else if (error instanceof HttpException) {
    code = STATUS_CODES[error.getStatus()] ?? (error.getStatus() >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
  } else if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
  ) {
    const fastifyCode = FASTIFY_CODES[error.code];
    if (fastifyCode) code = fastifyCode;
    else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode < 500) {
      code = STATUS_CODES[error.statusCode] ?? 'BAD_REQUEST';
    }
  }

  const { status, title } = ERROR_CODES[code];
  const problem: ProblemView = {
    type: problemType(code),
    title,
    status,
    detail: (error instanceof AppError ? detail : undefined) ?? GENERIC_DETAIL[code] ?? title,
    code,
    requestId,
  };
  if (errors && errors.length > 0) problem.errors = errors;
  if (errorsOmitted !== undefined && errorsOmitted > 0) problem.errorsOmitted = errorsOmitted;
  return {
    problem,
    headers,
    unexpected: code === 'INTERNAL_ERROR',
    refusedByDatabase: error instanceof RefusedValueError,
  };
}
