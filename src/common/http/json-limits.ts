/**
 * Limits on the JSON text of a request body, checked on the text before `JSON.parse` builds
 * anything (issue 14, findings 1 and 2). What a body may hold is bounded by what a valid one holds,
 * not only by its size in bytes:
 * - nesting depth 32: valid bodies nest three levels (`{"items":[{…}]}`); 10,000 levels of `[` in
 *   20 kB overflowed class-transformer's recursion, and every recursive walk of a body (the
 *   idempotency fingerprint, the validation) stays far from the stack limit;
 * - 1,000 values (array elements and object members, at any depth): the largest valid body, an
 *   order of 50 items, holds about 150. Parsing alone cost 9–14 ms of CPU for the 100 kB bodies of
 *   the finding (34,000 empty items; 13,000 keys), before any validation, and routes that take no
 *   body still parse and fingerprint one.
 */
export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_VALUES = 1000;

export type JsonLimitProblem = 'too-deep' | 'too-many-values';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const isBlank = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Which limit JSON text breaks, if any. One pass over the characters (strings skipped), so it
 * costs a fraction of `JSON.parse` and stops at the first limit crossed. The text need not be valid
 * JSON (the parser judges that): only brackets and commas outside strings are counted, so for valid
 * JSON the count is exact.
 */
export function jsonLimitProblem(
  text: string,
  limits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES },
): JsonLimitProblem | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  // Just after `[` or `{`: the next non-blank character starts a first value unless it closes.
  let opened = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (opened && !isBlank(c)) {
      opened = false;
      if (c !== CLOSE_ARRAY && c !== CLOSE_OBJECT && ++values > limits.values) return 'too-many-values';
    }
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.depth) return 'too-deep';
      opened = true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth -= 1;
    } else if (c === COMMA && depth > 0 && ++values > limits.values) {
      return 'too-many-values';
    }
  }
  return undefined;
}
