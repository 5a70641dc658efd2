import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from '../errors/app-error';
import { checkShape, MAX_REPORTED_ERRORS, ShapeErrors, shapeOf } from './input-shape';

/** Flattens class-validator's tree into `{field: "items.0.quantity", message}` entries. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * The one `VALIDATION_FAILED` problem of a refused body or query: the first `MAX_REPORTED_ERRORS`
 * errors listed, how many more there were in `errorsOmitted` (the answer stays a few kB whatever
 * was sent).
 */
export function validationFailed(listed: FieldError[], total = listed.length): AppError {
  const errors = listed.slice(0, MAX_REPORTED_ERRORS);
  const omitted = total - errors.length;
  return new AppError(
    'VALIDATION_FAILED',
    omitted > 0
      ? `The request is not valid: ${total} errors, the first ${errors.length} listed.`
      : 'The request is not valid.',
    { errors, errorsOmitted: omitted > 0 ? omitted : undefined },
  );
}

/**
 * The global pipe: DTOs validated with class-validator; unknown properties are rejected, never
 * silently dropped (a `role` in a register body is a 400, not ignored). The shape of a body or query
 * is checked first (src/common/pipes/input-shape.ts), so the work and the answer are bounded by what
 * a valid request can hold, not by what was sent.
 */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const fields =
      metadata.metatype && (metadata.type === 'body' || metadata.type === 'query')
        ? shapeOf(metadata.metatype)
        : undefined;
    if (fields) {
      const errors = new ShapeErrors();
      // No body at all is an empty one (a PATCH that changes nothing); `null` is a value, not an object.
      checkShape(value === undefined ? {} : value, fields, errors);
      if (errors.total > 0) throw validationFailed(errors.listed, errors.total);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}
