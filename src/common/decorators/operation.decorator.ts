import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';

/** Metadata key of a handler's operation id (read by the document builder, src/docs/). */
export const OPERATION_ID = 'bulwark:operationId';

/**
 * Names an API operation in the OpenAPI document: a stable, readable `operationId` (`createOrder`,
 * `listOrders`: what generated clients call their methods, so never renamed lightly) and a one-line
 * summary. Every route handler has one; the document builder refuses a route without it.
 */
export const Operation = (operationId: string, summary: string, description?: string): MethodDecorator =>
  applyDecorators(
    SetMetadata(OPERATION_ID, operationId),
    ApiOperation({ operationId, summary, ...(description === undefined ? {} : { description }) }),
  );
