import 'reflect-metadata';
import { AppError } from '../errors/app-error';
import { decodeCursor, encodeCursor, toPage } from './cursor';

const id = '0b9c3a4e-1111-4111-8111-123456789abc';

describe('cursor pagination', () => {
  it('round-trips a position with microsecond precision', () => {
    const position = { atMicros: '1795350043026123', id };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    '',
    'garbage',
    Buffer.from('123.not-a-uuid').toString('base64url'),
    Buffer.from(`abc.${id}`).toString('base64url'),
  ])('refuses a malformed cursor %p with VALIDATION_FAILED', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(AppError);
  });

  it('uses the extra row only to tell there is a next page', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `${id.slice(0, -1)}${n}`, cursorMicros: `${100 - n}`, v: n }));
    const page = toPage(rows, 2, (r) => r.v);
    expect(page.data).toEqual([1, 2]);
    expect(decodeCursor(page.nextCursor!)).toEqual({ atMicros: '98', id: rows[1].id });
    expect(toPage(rows, 3, (r) => r.v)).toEqual({ data: [1, 2, 3], nextCursor: null });
  });
});
