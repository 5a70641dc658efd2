import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A refresh token, stored only as the SHA-256 digest of its random value; spent once used. */
@Entity({ name: 'refresh_tokens' })
@Unique('refresh_tokens_hash_key', ['tokenHash'])
@Index('refresh_tokens_session_idx', ['sessionId'])
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'refresh_tokens_pkey' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  @ForeignKey('Session', { name: 'refresh_tokens_session_id_fkey', onDelete: 'CASCADE' })
  sessionId!: string;

  @Column({ name: 'token_hash', type: 'bytea', select: false })
  tokenHash!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
