import { requestIdFor } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFor', () => {
  it('keeps a caller id of 1-128 characters of [A-Za-z0-9._-]', () => {
    for (const id of ['a', 'abc-DEF_123.x', 'x'.repeat(128)]) {
      expect(requestIdFor({ headers: { 'x-request-id': id } })).toBe(id);
    }
  });

  it('replaces a missing, empty, too long or unsafe id with a new UUID', () => {
    for (const id of [undefined, '', 'x'.repeat(129), 'a b', 'id\nforged-log-line', 'é', '<script>']) {
      expect(requestIdFor({ headers: { 'x-request-id': id } })).toMatch(UUID);
    }
  });
});
