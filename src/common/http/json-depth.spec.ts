import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/** The real depth of a parsed JSON value (a scalar is 0, `[]` is 1). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan('{"items":[{"productId":"x"}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"items":[{"productId":"x"}]}', 2)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ name: '[[[[[[{{{{{' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ name: 'a\\"[[[[[["' }), 1)).toBe(false);
    expect(nestsDeeperThan('"[[["', 0)).toBe(false);
  });

  it('refuses the bodies of the finding: 10,000 levels of [ and items nested 3,000 deep', () => {
    expect(nestsDeeperThan('['.repeat(10_000) + ']'.repeat(10_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(`{"items":${'['.repeat(3000)}${']'.repeat(3000)}}`, MAX_JSON_DEPTH)).toBe(true);
    // Unbalanced and invalid text is still judged by its depth (the parser refuses it anyway).
    expect(nestsDeeperThan('['.repeat(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('['.repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
  });

  it('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
        const text = JSON.stringify(value);
        expect(nestsDeeperThan(text, limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: 2000 },
    );
  });
});
