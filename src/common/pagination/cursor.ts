import { IntField, TextField } from '../decorators/field.decorator';
import { AppError } from '../errors/app-error';

export const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** `?limit=` (1–100, default 20) and `?cursor=` (docs/api.md, "Pagination"). */
export class PageQueryDto {
  @IntField({
    optional: true,
    fromQuery: true,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  })
  limit?: number;

  @TextField({ optional: true, maxLength: 200, description: '`nextCursor` of the previous page' })
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A keyset position: the row's timestamp in microseconds since the epoch (PostgreSQL's precision;
 * a JavaScript Date would lose it and skip or repeat rows) and its id as the tie-breaker.
 */
export interface CursorPosition {
  atMicros: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.atMicros}.${position.id}`, 'utf8').toString('base64url');
}

// At most 16 digits of microseconds (until the year 2286): inside both bigint and timestamptz, so a
// forged cursor is a 400, never an out-of-range error from the database.
const POSITION = /^(\d{1,16})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function decodeCursor(cursor: string): CursorPosition {
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    throw new AppError('VALIDATION_FAILED', 'The request is not valid.', {
      errors: [{ field: 'cursor', message: 'cursor is not valid' }],
    });
  }
  return { atMicros: match[1], id: match[2] };
}

/**
 * Builds the page from `limit + 1` fetched rows (newest first): the extra row only tells that there
 * is a next page.
 */
export function toPage<R extends { cursorMicros: string; id: string }, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(view),
    nextCursor: more && last ? encodeCursor({ atMicros: last.cursorMicros, id: last.id }) : null,
  };
}
