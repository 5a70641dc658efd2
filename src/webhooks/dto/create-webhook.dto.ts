import { OneOfListField, TextField } from '../../common/decorators/field.decorator';
import { ALL_WEBHOOK_EVENTS, WebhookEventType } from '../webhook-events';
import { MAX_URL_LENGTH } from '../url-guard';

/** `POST /v1/webhooks` body. The URL's safety (scheme, resolved addresses) is checked by the service. */
export class CreateWebhookDto {
  @TextField({
    maxLength: MAX_URL_LENGTH,
    format: 'uri',
    description:
      'http(s) URL; loopback, private and link-local addresses are refused unless WEBHOOKS_ALLOW_PRIVATE=true',
    example: 'https://example.com/hooks/bulwark',
  })
  url!: string;

  @OneOfListField(ALL_WEBHOOK_EVENTS, {
    minItems: 1,
    maxItems: ALL_WEBHOOK_EVENTS.length,
    message: `each value in events must be one of: ${ALL_WEBHOOK_EVENTS.join(', ')}`,
  })
  events!: WebhookEventType[];
}
