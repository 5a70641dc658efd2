import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One login: the `sid` of its access tokens and the family of its refresh tokens. */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: string | null;
}

export const SESSION_REVOKED_REASONS = {
  LOGOUT: 'logout',
  REFRESH_TOKEN_REUSED: 'refresh_token_reused',
  PASSWORD_CHANGED: 'password_changed',
  USER_DISABLED: 'user_disabled',
} as const;
export type SessionRevokedReason = (typeof SESSION_REVOKED_REASONS)[keyof typeof SESSION_REVOKED_REASONS];
