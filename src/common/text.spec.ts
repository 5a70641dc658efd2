import fc from 'fast-check';
import { textProblem } from './text';

describe('textProblem', () => {
  it('refuses NUL and lone surrogates, the inputs of the findings', () => {
    expect(textProblem('a\u0000b')).toBe('nul');
    expect(textProblem('a\ud800@x.test')).toBe('ill-formed');
    expect(textProblem('\udc00')).toBe('ill-formed');
    expect(textProblem('x\ud83d')).toBe('ill-formed');
  });

  it('accepts every other text: letters of any script, emoji (surrogate pairs), control characters', () => {
    for (const ok of ['Ada Lovelace', 'Zoë Ωμέγα', '名前', 'rocket 🚀', 'tab\there', '\u0001\u007f', ''])
      expect(textProblem(ok)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(textProblem(text.replace(/\u0000/g, ''))).toBeUndefined();
      }),
    );
  });

  it('finds a problem in any text that has no UTF-8 form or holds NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const storable = !text.includes('\u0000') && Buffer.from(text, 'utf8').toString('utf8') === text;
        expect(textProblem(text) === undefined).toBe(storable);
      }),
      { numRuns: 2000 },
    );
  });
});
