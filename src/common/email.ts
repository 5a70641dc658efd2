import { domainToUnicode } from 'node:url';

/**
 * E-mails are compared and stored in one spelling: NFKC (compatibility forms such as fullwidth
 * `ａｄａ` become `ada`, decomposed `é` becomes the composed one), lower-case, without surrounding
 * blanks (the database refuses any other: `users_email_check`). The one normalisation, for
 * registration, login, the login rate limit, the admin CLI and the admin's e-mail filter alike.
 * Lower-casing can undo NFKC for a few characters, hence the second pass (checked to be idempotent).
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}

/** Why an e-mail would look like another, or undefined. */
export type EmailAmbiguity = 'invisible' | 'mixed-script';

export const EMAIL_AMBIGUITY_MESSAGES: Record<EmailAmbiguity, string> = {
  invisible: 'must not contain invisible, formatting or space characters',
  'mixed-script':
    'must not mix writing systems within its local part or a domain label (look-alike characters)',
};

// Characters that show nothing, or change how others show: default-ignorable code points (zero-width
// space and joiners, soft hyphen, word joiner, byte-order mark, variation selectors…), controls,
// format characters (bidirectional overrides), separators and spaces.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Z}\s]/u;

/**
 * The scripts an address may be written in: the Recommended Scripts of UAX #31 (Unicode Identifiers,
 * table 5), the modern scripts in everyday use. Letters of any other script are refused, as UTS #39's
 * identifier profile refuses them (https://www.unicode.org/reports/tr39/#Identifier_Status_and_Type).
 */
const RECOMMENDED_SCRIPTS = [
  'Arabic', 'Armenian', 'Bengali', 'Bopomofo', 'Cyrillic', 'Devanagari', 'Ethiopic', 'Georgian',
  'Greek', 'Gujarati', 'Gurmukhi', 'Han', 'Hangul', 'Hebrew', 'Hiragana', 'Kannada', 'Katakana',
  'Khmer', 'Lao', 'Latin', 'Malayalam', 'Myanmar', 'Oriya', 'Sinhala', 'Tamil', 'Telugu', 'Thaana',
  'Thai', 'Tibetan',
] as const; // prettier-ignore

/**
 * UTS #39's "Highly Restrictive" level (https://www.unicode.org/reports/tr39/#Restriction_Level_Detection):
 * one script, or Latin with the scripts written together with it in Chinese, Japanese or Korean.
 * Characters common to all scripts (digits, `.`, `-`, `_`) and inherited ones (combining marks) fit any.
 */
const ALLOWED_SETS: ReadonlyArray<readonly string[]> = [
  ...RECOMMENDED_SCRIPTS.map((script) => [script]),
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];
const ALLOWED = ALLOWED_SETS.map(
  (scripts) =>
    new RegExp(
      `^[\\p{Script=Common}\\p{Script=Inherited}${scripts.map((s) => `\\p{Script=${s}}`).join('')}]*$`,
      'u',
    ),
);

const isOneScript = (part: string): boolean => ALLOWED.some((set) => set.test(part));

/**
 * Whether `email` (normalised) could pass for another address: invisible characters anywhere, or
 * letters of several writing systems (`аdmin` with a Cyrillic `а`) in the local part or in one label
 * of the domain (issue 14, finding 9). A Punycode label (`xn--…`) is judged by what it stands for,
 * and refused when it stands for nothing.
 * The text need not be an address: login and the admin's filter accept any text and judge it alike.
 */
export function emailAmbiguity(email: string): EmailAmbiguity | undefined {
  if (INVISIBLE.test(email)) return 'invisible';
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  const labels = at < 0 ? [] : email.slice(at + 1).split('.');
  const parts = [local];
  for (const label of labels) {
    if (!label.startsWith('xn--')) parts.push(label);
    else {
      const decoded = domainToUnicode(label);
      // Not Punycode after all (`domainToUnicode` gives it back as it is): what it shows is unknown.
      if (decoded === label) return 'mixed-script';
      parts.push(decoded);
    }
  }
  return parts.every(isOneScript) ? undefined : 'mixed-script';
}
