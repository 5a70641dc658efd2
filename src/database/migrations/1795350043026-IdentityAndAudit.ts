import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, logins (sessions) with their rotating refresh tokens, and the append-only audit trail.
 * Refresh tokens are stored only as SHA-256 digests (the tokens are 256-bit random, so a fast hash is
 * enough: https://datatracker.ietf.org/doc/html/rfc9700#section-4.14). The audit log refuses UPDATE,
 * DELETE and TRUNCATE in the database itself, whoever connects.
 */
export class IdentityAndAudit1795350043026 implements MigrationInterface {
  name = 'IdentityAndAudit1795350043026';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
        name text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_key UNIQUE (email)
      )`);
    await q.query('CREATE INDEX users_created_id_idx ON users (created_at DESC, id DESC)');

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await q.query('CREATE INDEX sessions_user_active_idx ON sessions (user_id) WHERE revoked_at IS NULL');

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
      )`);
    await q.query('CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)');

    await q.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_id uuid,
        action text NOT NULL,
        entity text NOT NULL,
        entity_id text,
        request_id text NOT NULL,
        changes jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query('CREATE INDEX audit_log_at_id_idx ON audit_log (at DESC, id DESC)');
    await q.query('CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at DESC)');
    await q.query('CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC)');
    await q.query('CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC)');
    await q.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_log');
    await q.query('DROP FUNCTION audit_log_refuse_change()');
    await q.query('DROP TABLE refresh_tokens');
    await q.query('DROP TABLE sessions');
    await q.query('DROP TABLE users');
  }
}
