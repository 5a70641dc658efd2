import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored e-mails in the spelling the service now looks them up by (issue 14, finding 9: NFKC, lower
 * case, trimmed — src/common/email.ts). Before it, e-mails were only lower-cased, so an account
 * registered with a decomposed (NFD) or compatibility (fullwidth) spelling could no longer sign in.
 *
 * ASCII addresses are already in that spelling; only the others are read. An account whose new
 * spelling is another account's, or is shared by two accounts, is left as it is (merging accounts is
 * a person's decision; docs/identity.md says how to find them). Each change writes its audit entry
 * in this migration's transaction, like every change of a user.
 *
 * The normalisation is written out here rather than imported: a migration must do tomorrow what it
 * did the day it was written.
 */
export class NormaliseEmails1795400000000 implements MigrationInterface {
  name = 'NormaliseEmails1795400000000';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT id, email FROM users WHERE email ~ '[^\\x01-\\x7f]'`)) as Array<{
      id: string;
      email: string;
    }>;
    const spell = (email: string) => email.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
    const changes = rows
      .map((row) => ({ id: row.id, from: row.email, to: spell(row.email) }))
      .filter((change) => change.to !== change.from);
    if (changes.length === 0) return;
    const targets = new Map<string, number>();
    for (const change of changes) targets.set(change.to, (targets.get(change.to) ?? 0) + 1);
    const taken = new Set(
      (
        (await q.query('SELECT email FROM users WHERE email = ANY($1::text[])', [
          [...targets.keys()],
        ])) as Array<{
          email: string;
        }>
      ).map((row) => row.email),
    );
    for (const change of changes) {
      if (taken.has(change.to) || targets.get(change.to) !== 1) continue;
      await q.query('UPDATE users SET email = $2, updated_at = now() WHERE id = $1', [change.id, change.to]);
      await q.query(
        `INSERT INTO audit_log (actor_id, action, entity, entity_id, request_id, changes)
         VALUES (NULL, 'user.updated', 'user', $1, $2, $3::jsonb)`,
        [
          change.id,
          `migration:${this.name}`,
          JSON.stringify({
            email: { from: change.from, to: change.to },
            reason: 'e-mail spelling normalised',
          }),
        ],
      );
    }
  }

  async down(): Promise<void> {
    // The old spellings are in the audit entries; they are not restored (the service could not find them).
  }
}
