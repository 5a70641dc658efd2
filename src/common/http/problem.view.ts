import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { FieldError } from '../errors/app-error';
import { ERROR_CODES, ErrorCode } from '../errors/error-codes';
import { MAX_REPORTED_ERRORS } from '../pipes/input-shape';

/** One rejected field of a `VALIDATION_FAILED` problem (`items.1.quantity`, `Idempotency-Key`…). */
@ApiSchema({ name: 'FieldError' })
class FieldErrorView implements FieldError {
  @ApiProperty({ example: 'items.0.quantity' })
  field!: string;

  @ApiProperty({ example: 'quantity must not be greater than 1000' })
  message!: string;
}

/** RFC 9457 problem details, the one error shape of the API (`application/problem+json`). */
@ApiSchema({ name: 'Problem', description: 'RFC 9457 problem details' })
export class ProblemView {
  @ApiProperty({ format: 'uri', example: 'https://bulwark.dev/problems/insufficient-stock' })
  type!: string;

  @ApiProperty({ example: 'Insufficient stock' })
  title!: string;

  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599 })
  status!: number;

  @ApiProperty({ description: 'Safe to show: never a stack trace, SQL or an internal message' })
  detail!: string;

  @ApiProperty({ enum: Object.keys(ERROR_CODES), description: 'Stable UPPER_SNAKE identifier' })
  code!: ErrorCode;

  @ApiProperty({ description: 'The `X-Request-Id` of the request, to quote when reporting it' })
  requestId!: string;

  @ApiPropertyOptional({
    type: [FieldErrorView],
    maxItems: MAX_REPORTED_ERRORS,
    description: `With \`VALIDATION_FAILED\` only; at most ${MAX_REPORTED_ERRORS} are listed`,
  })
  errors?: FieldErrorView[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'How many more field errors there were beyond those listed in `errors`',
  })
  errorsOmitted?: number;
}
