import { generateSigningSecret, SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox('k'.repeat(40));
  const id = '0b6b7c3e-0d3c-4a44-9d0e-111111111111';

  it('generates Standard Webhooks secrets of 32 random bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(secret);
  });

  it('round-trips, and the ciphertext does not contain the secret', () => {
    const secret = generateSigningSecret();
    const sealed = box.seal(secret, id);
    expect(sealed.toString('latin1')).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed, id)).toBe(secret);
  });

  it('refuses another row id, another key, and altered bytes', () => {
    const sealed = box.seal('whsec_abc', id);
    expect(() => box.open(sealed, '0b6b7c3e-0d3c-4a44-9d0e-222222222222')).toThrow();
    expect(() => new SecretBox('j'.repeat(40)).open(sealed, id)).toThrow();
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] ^= 1;
    expect(() => box.open(altered, id)).toThrow();
    expect(() => new SecretBox('short')).toThrow();
  });
});
