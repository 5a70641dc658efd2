import { Webhook } from 'standardwebhooks';

/** The three headers of the Standard Webhooks specification (https://www.standardwebhooks.com/). */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `payload` (the exact bytes sent) for `messageId` at `at` with the `whsec_…` secret, using the
 * specification's reference library: `v1,<base64 HMAC-SHA256 of "id.timestamp.payload">`.
 */
export function signWebhook(secret: string, messageId: string, at: Date, payload: string): SignatureHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, payload),
  };
}
