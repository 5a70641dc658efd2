/**
 * How deep a request body may nest arrays and objects. Valid bodies nest three levels at most
 * (`{"items":[{…}]}`); 32 leaves room for any future shape while keeping every recursive walk of a
 * parsed body (class-transformer, the idempotency fingerprint, the logger) far from the stack limit:
 * 10,000 levels of `[` in 20 kB overflowed class-transformer's recursion (issue 14, finding 2).
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when JSON text nests arrays and objects deeper than `limit`. One pass over the characters,
 * brackets inside strings skipped, so it costs about what `JSON.parse` costs and runs before it: the
 * depth is known before anything is built. The text need not be valid JSON (the parser judges that);
 * only the bracket depth outside strings is counted.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}
