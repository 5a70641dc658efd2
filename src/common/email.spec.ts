import fc from 'fast-check';
import { emailAmbiguity, normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('lower-cases and trims, so one address has one spelling', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM \t')).toBe('ada.lovelace@example.com');
    expect(normalizeEmail('ada@example.com')).toBe('ada@example.com');
  });

  it('folds compatibility and decomposed forms (NFKC): fullwidth letters, decomposed accents', () => {
    expect(normalizeEmail('ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('ada@example.com');
    expect(normalizeEmail('Ｊｏｓé@example.com')).toBe('josé@example.com');
    expect(normalizeEmail('jose\u0301@example.com')).toBe('jos\u00e9@example.com');
    expect(normalizeEmail('ﬁnn@example.com')).toBe('finn@example.com');
  });

  it('is idempotent on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const once = normalizeEmail(text);
        expect(normalizeEmail(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('emailAmbiguity', () => {
  it('accepts addresses in one script, of any recommended script', () => {
    for (const ok of [
      'ada@example.com',
      'ada.lovelace+news@mail.example.co.uk',
      'josé@example.com',
      'иван@пример.рф',
      'ελένη@παράδειγμα.ελ',
      '山田@例え.jp',
      'yamada太郎@example.jp', // Latin with Han: one of the combinations UTS #39 allows
      'user@xn--e1afmkfd.xn--p1ai', // пример.рф in Punycode
    ])
      expect({ ok, why: emailAmbiguity(normalizeEmail(ok)) }).toEqual({ ok, why: undefined });
  });

  it('refuses look-alikes: Cyrillic or Greek letters among Latin ones, in the local part or a label', () => {
    for (const spoof of [
      '\u0430da@example.com', // Cyrillic а
      'ada@ex\u0430mple.com',
      'ad\u03b1@example.com', // Greek α
      'ada@paypal.c\u03bfm', // Greek ο in the top-level label
      'ada@xn--pypal-4ve.com', // pаypal with a Cyrillic а, in Punycode
      'ada@xn--zz.com', // not Punycode at all: what it would show is unknown
    ])
      expect({ spoof, why: emailAmbiguity(normalizeEmail(spoof)) }).toEqual({ spoof, why: 'mixed-script' });
  });

  it('refuses invisible characters: zero-width, soft hyphen, joiners, bidi controls, inner spaces', () => {
    for (const hidden of [
      'ad\u200ba@example.com',
      'ada\u00ad@example.com',
      'a\u200dda@example.com',
      'ada@exa\u2060mple.com',
      '\u202eada@example.com',
      'ada@exa mple.com',
      'ada\ufeff@example.com',
    ])
      expect({ hidden, why: emailAmbiguity(normalizeEmail(hidden)) }).toEqual({ hidden, why: 'invisible' });
  });

  it('judges any text, not only addresses (login accepts any text as the e-mail)', () => {
    expect(emailAmbiguity('no-at-sign')).toBeUndefined();
    expect(emailAmbiguity('\u0430dmin')).toBe('mixed-script');
  });
});
