import { Keyset } from './keyset';
import { SqlParams } from './sql';

describe('Keyset', () => {
  const pages = new Keyset('o.created_at', 'o.id');

  it('orders newest first with the id as tie-breaker, and selects the position in microseconds', () => {
    expect(pages.orderBy).toBe('ORDER BY o.created_at DESC, o.id DESC');
    expect(pages.cursor).toBe(`(extract(epoch from o.created_at) * 1000000)::bigint::text AS "cursorMicros"`);
  });

  it('has no condition on the first page', () => {
    const params = new SqlParams();
    expect(pages.after(undefined, params)).toBeNull();
    expect(params.values).toEqual([]);
  });

  it('continues after a position, exactly (microseconds, not a JavaScript Date), numbering after what is there', () => {
    const params = new SqlParams('someone');
    const id = '0b7e3c9a-1f0a-4c39-9a4e-2b1f0d6c8e11';
    expect(pages.after({ atMicros: '1795350043026123', id }, params)).toBe(
      `(o.created_at, o.id) < (('epoch'::timestamptz + $2::bigint * interval '1 microsecond'), $3::uuid)`,
    );
    expect(params.values).toEqual(['someone', '1795350043026123', id]);
  });
});
