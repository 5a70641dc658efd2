import { DateTimeField, TextField, UuidField } from '../../common/decorators/field.decorator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/audit?entity=&entityId=&actorId=&action=&from=&to=` (docs/audit.md). */
export class AuditQueryDto extends PageQueryDto {
  @TextField({ optional: true, maxLength: 64, example: 'order' })
  entity?: string;

  @TextField({ optional: true, maxLength: 128 })
  entityId?: string;

  @UuidField({ optional: true })
  actorId?: string;

  @TextField({ optional: true, maxLength: 64, example: 'order.created' })
  action?: string;

  /** Inclusive lower bound of `at` (ISO 8601). */
  @DateTimeField({ optional: true, description: 'Entries at or after this time' })
  from?: string;

  /** Exclusive upper bound of `at` (ISO 8601). */
  @DateTimeField({ optional: true, description: 'Entries before this time' })
  to?: string;
}
