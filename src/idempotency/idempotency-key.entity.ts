import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** One kept answer per (user, Idempotency-Key) (docs/idempotency.md). */
@Entity({ name: 'idempotency_keys' })
@Check('idempotency_keys_key_check', 'length(key) BETWEEN 1 AND 255')
@Check('idempotency_keys_status_code_check', 'status_code BETWEEN 200 AND 599')
@Index('idempotency_keys_created_idx', ['createdAt'])
export class IdempotencyKey {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  @ForeignKey('User', { name: 'idempotency_keys_user_id_fkey', onDelete: 'CASCADE' })
  userId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  key!: string;

  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ name: 'status_code', type: 'smallint' })
  statusCode!: number;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'jsonb', default: {} })
  headers!: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
