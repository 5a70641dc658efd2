import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from './audit-actions';

/** One audit entry: secrets never appear in `changes`. */
@ApiSchema({ name: 'AuditEntry' })
export class AuditEntryView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    description: 'Who did it; null when nobody was signed in (e.g. a failed login)',
  })
  actorId!: string | null;

  @ApiProperty({ enum: Object.values(AUDIT_ACTIONS) })
  action!: string;

  @ApiProperty({ enum: Object.values(AUDIT_ENTITIES) })
  entity!: string;

  @ApiProperty({ type: 'string', nullable: true })
  entityId!: string | null;

  @ApiProperty({ description: 'The `X-Request-Id` of the request that made the change' })
  requestId!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What changed (`{field: {from, to}}` or the new values); never a secret',
  })
  changes!: Record<string, unknown>;
}
