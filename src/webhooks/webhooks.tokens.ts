import type { AppConfig } from '../config/config';
import { SecretBox } from './secret-box';

/** The SecretBox that encrypts signing secrets at rest (see secret-box.ts for the key derivation). */
export const WEBHOOK_SECRET_BOX = Symbol('WEBHOOK_SECRET_BOX');

export function createSecretBox(config: AppConfig): SecretBox {
  const material = config.webhooks.secretKey ?? config.jwtSecret;
  if (!material)
    throw new Error(
      'webhooks: neither WEBHOOK_SECRET_KEY nor JWT_SECRET is available to encrypt signing secrets',
    );
  return new SecretBox(material);
}
