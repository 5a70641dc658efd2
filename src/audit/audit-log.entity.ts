import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of the append-only audit trail (table `audit_log`; triggers refuse UPDATE, DELETE and
 * TRUNCATE: see the IdentityAndAudit migration).
 */
@Entity({ name: 'audit_log' })
@Index('audit_log_at_id_idx', ['at', 'id']) // (at DESC, id DESC)
@Index('audit_log_entity_idx', ['entity', 'entityId', 'at']) // (entity, entity_id, at DESC)
@Index('audit_log_actor_idx', ['actorId', 'at']) // (actor_id, at DESC)
@Index('audit_log_action_idx', ['action', 'at']) // (action, at DESC)
export class AuditLogEntry {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'audit_log_pkey' })
  id!: string;

  @Column({ type: 'timestamptz', default: () => 'clock_timestamp()' })
  at!: Date;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  entity!: string;

  @Column({ name: 'entity_id', type: 'text', nullable: true })
  entityId!: string | null;

  @Column({ name: 'request_id', type: 'text' })
  requestId!: string;

  @Column({ type: 'jsonb', default: {} })
  changes!: Record<string, unknown>;
}
