import { canonicalJson, requestFingerprint } from './fingerprint';

describe('request fingerprint', () => {
  const base = {
    method: 'POST',
    route: '/v1/orders',
    path: '/v1/orders',
    body: { items: [{ productId: 'a', quantity: 1 }] },
  };

  it('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is the same for the same request whatever the key order', () => {
    expect(requestFingerprint(base)).toBe(
      requestFingerprint({ ...base, body: { items: [{ quantity: 1, productId: 'a' }] } }),
    );
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the method, route, path or body differs', () => {
    const fp = requestFingerprint(base);
    expect(requestFingerprint({ ...base, method: 'PUT' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, route: '/v1/orders/:id/cancel' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, path: '/v1/orders/x' })).not.toBe(fp);
    expect(requestFingerprint({ ...base, body: { items: [{ productId: 'a', quantity: 2 }] } })).not.toBe(fp);
  });
});
