import type { CursorPosition } from '../common/pagination/cursor';
import type { SqlParams } from './sql';

/**
 * Newest-first keyset pagination over a (timestamp, id) pair of columns, the one way every list
 * pages (docs/database.md, "Persistence"). A row's position is its timestamp in microseconds (exact:
 * numeric in PostgreSQL 14+) and its id; a page is `limit + 1` rows so `toPage` can tell whether a
 * next one exists. Each list has an index on (timestamp DESC, id DESC), with its filters in front.
 */
export class Keyset {
  constructor(
    private readonly at: string,
    private readonly id: string,
  ) {}

  /** The select-list item giving each row's position as `"cursorMicros"`. */
  get cursor(): string {
    return `(extract(epoch from ${this.at}) * 1000000)::bigint::text AS "cursorMicros"`;
  }

  get orderBy(): string {
    return `ORDER BY ${this.at} DESC, ${this.id} DESC`;
  }

  /** The condition for the rows after `position` (none on the first page), its values added to `params`. */
  after(position: CursorPosition | undefined, params: SqlParams): string | null {
    if (!position) return null;
    const micros = params.add(position.atMicros);
    const id = params.add(position.id);
    return `(${this.at}, ${this.id}) < (('epoch'::timestamptz + ${micros}::bigint * interval '1 microsecond'), ${id}::uuid)`;
  }
}
