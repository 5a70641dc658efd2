import fc from 'fast-check';
import { jsonLimitProblem, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-limits';

/** The real depth of a parsed JSON value (a scalar is 0, `[]` is 1). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Array elements and object members at any depth. */
function valuesOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  return children.length + children.reduce<number>((n, child) => n + valuesOf(child), 0);
}

describe('jsonLimitProblem', () => {
  it('counts arrays and objects, not brackets or commas inside strings or after escaped quotes', () => {
    const limits = (depth: number, values = 100) => ({ depth, values });
    expect(jsonLimitProblem('{"items":[{"productId":"x"}]}', limits(3))).toBeUndefined();
    expect(jsonLimitProblem('{"items":[{"productId":"x"}]}', limits(2))).toBe('too-deep');
    expect(jsonLimitProblem(JSON.stringify({ name: '[[[[,,,,{{{{{' }), limits(1, 1))).toBeUndefined();
    expect(jsonLimitProblem(JSON.stringify({ name: 'a\\"[[[[[[",,' }), limits(1, 1))).toBeUndefined();
    expect(jsonLimitProblem('"[[[,,,"', limits(0, 0))).toBeUndefined();
    expect(jsonLimitProblem('[ ]', limits(1, 0))).toBeUndefined();
    expect(jsonLimitProblem('[ 1 ]', limits(1, 0))).toBe('too-many-values');
  });

  it('refuses the bodies of the findings: 10,000 levels of [, items nested 3,000 deep, 34,000 items, 13,000 keys', () => {
    expect(jsonLimitProblem('['.repeat(10_000) + ']'.repeat(10_000))).toBe('too-deep');
    expect(jsonLimitProblem(`{"items":${'['.repeat(3000)}${']'.repeat(3000)}}`)).toBe('too-deep');
    expect(jsonLimitProblem(`{"items":[${Array(34_000).fill('{}').join(',')}]}`)).toBe('too-many-values');
    const keys = Array.from({ length: 13_000 }, (_, i) => `"${i.toString(36)}":0`);
    expect(jsonLimitProblem(`{${keys.join(',')}}`)).toBe('too-many-values');
    // At the limits exactly: accepted.
    expect(jsonLimitProblem('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonLimitProblem(`[${Array(MAX_JSON_VALUES).fill(0).join(',')}]`)).toBeUndefined();
    expect(
      jsonLimitProblem(
        `[${Array(MAX_JSON_VALUES + 1)
          .fill(0)
          .join(',')}]`,
      ),
    ).toBe('too-many-values');
    // Unbalanced and invalid text is still judged by what it has (the parser refuses it anyway).
    expect(jsonLimitProblem('['.repeat(MAX_JSON_DEPTH + 1))).toBe('too-deep');
  });

  it('agrees with the parsed value for any JSON, pretty-printed or not', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 60 }),
        fc.boolean(),
        (value, depth, values, pretty) => {
          const text = JSON.stringify(value, null, pretty ? 2 : undefined);
          const expected =
            depthOf(value) > depth ? 'too-deep' : valuesOf(value) > values ? 'too-many-values' : undefined;
          const found = jsonLimitProblem(text, { depth, values });
          // Both limits crossed: whichever the scan meets first is the answer.
          if (depthOf(value) > depth && valuesOf(value) > values) expect(found).toBeDefined();
          else expect(found).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
