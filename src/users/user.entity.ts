import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type UserRole = 'user' | 'admin';
export const USER_ROLES: readonly UserRole[] = ['user', 'admin'];

/**
 * The `users` table exactly as the migrations make it (src/database/migrations; checked by
 * test/database/schema-diff.e2e-spec.ts). The repository reads and writes it in raw SQL.
 */
@Entity({ name: 'users' })
@Unique('users_email_key', ['email'])
@Check('users_email_check', 'email = lower(email) AND length(email) BETWEEN 3 AND 254')
@Check('users_role_check', `role IN ('user', 'admin')`)
@Index('users_created_id_idx', ['createdAt', 'id']) // (created_at DESC, id DESC)
export class User {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'users_pkey' })
  id!: string;

  /** In the spelling of src/common/email.ts (a database CHECK enforces lower case), unique. */
  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Never selected unless asked for by name (`select: false`). */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @Column({ type: 'text', default: 'user' })
  role!: UserRole;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
