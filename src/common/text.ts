/**
 * What a text value must be to be stored and written to JSON safely (issue 14, findings 3 and 4):
 * - no NUL (U+0000): PostgreSQL's `text` and `jsonb` cannot hold it (SQLSTATE 22021 / 22P05), so a
 *   name or an e-mail with one was a 500 on its way to the table or the audit entry;
 * - well-formed UTF-16 (`String.prototype.isWellFormed`, no lone surrogate): such a string has no
 *   UTF-8 form, so the driver would silently store U+FFFD instead, and `jsonb` refuses its `\ud800`
 *   escape (the audit entry of an anonymous login broke on it).
 * Any other character, control characters included, is storable and accepted.
 */
export type TextProblem = 'nul' | 'ill-formed';

export function textProblem(value: string): TextProblem | undefined {
  if (value.includes('\u0000')) return 'nul';
  if (!value.isWellFormed()) return 'ill-formed';
  return undefined;
}

export const TEXT_PROBLEM_MESSAGES: Record<TextProblem, string> = {
  nul: 'must not contain the NUL character (U+0000)',
  'ill-formed': 'must be well-formed Unicode (no lone surrogate)',
};
