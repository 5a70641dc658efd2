import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Signing secrets at rest. Standard Webhooks signs with HMAC-SHA256 keyed by the raw secret, so the
 * service must be able to read it back: a hash cannot do, the secret is encrypted with AES-256-GCM.
 * The key is derived with HKDF-SHA256 (RFC 5869) from WEBHOOK_SECRET_KEY, or from JWT_SECRET when that
 * is unset, under an info string of its own, so it is never the JWT key itself. The subscription id is
 * the additional authenticated data: a ciphertext copied onto another row does not decrypt.
 *
 * Stored layout: version (1 byte) | IV (12) | tag (16) | ciphertext.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'bulwark';
const HKDF_INFO = 'bulwark/webhooks/signing-secret-encryption/v1';

/** Standard Webhooks secrets are `whsec_` + base64 of 24–64 random bytes. */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(keyMaterial: string) {
    if (Buffer.byteLength(keyMaterial) < 32)
      throw new Error('SecretBox: key material must be at least 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, HKDF_SALT, HKDF_INFO, 32));
  }

  seal(plaintext: string, associatedId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedId, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the data was altered, belongs to another id, or was sealed under another key. */
  open(sealed: Buffer, associatedId: string): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION)
      throw new Error('SecretBox: unknown ciphertext format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(associatedId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
