/**
 * A failure to start the embedded PostgreSQL, worded for the person who ran `npm start`: what failed
 * and what to do, on one line (the entry points print it on stderr and exit, never with a stack).
 */
export class EmbeddedDatabaseError extends Error {
  constructor(what: string, todo: string) {
    super(`${oneLine(what)}; ${oneLine(todo)}`);
    this.name = 'EmbeddedDatabaseError';
  }
}

/** Collapses a multi-line text (a tool's stderr, an error message) into one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The last line of a tool's output that says what went wrong (PostgreSQL prefixes those). */
export function lastProblemLine(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const problems = lines.filter((l) => /\b(FATAL|PANIC|ERROR|error|could not|cannot)\b/.test(l));
  return (problems.at(-1) ?? lines.at(-1) ?? 'no output').replace(/^\S+ \S+ \S+ \[\d+\] /, '');
}
