import { Webhook } from 'standardwebhooks';
import { generateSigningSecret } from './secret-box';
import { signWebhook } from './signer';

describe('signWebhook', () => {
  it('produces headers a Standard Webhooks receiver verifies, and only for the exact payload and secret', () => {
    const secret = generateSigningSecret();
    const payload = JSON.stringify({
      type: 'order.created',
      timestamp: new Date().toISOString(),
      data: { id: 'o1' },
    });
    const headers = signWebhook(secret, 'msg_1', new Date(), payload);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
    expect(() => new Webhook(secret).verify(payload.replace('o1', 'o2'), { ...headers })).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(payload, { ...headers })).toThrow();
  });
});
