import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { ALL_WEBHOOK_EVENTS, WebhookEventType } from '../webhook-events';
import { MAX_URL_LENGTH } from '../url-guard';

/** `POST /v1/webhooks` body. The URL's safety (scheme, resolved addresses) is checked by the service. */
export class CreateWebhookDto {
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ALL_WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(ALL_WEBHOOK_EVENTS, {
    each: true,
    message: `each value in events must be one of: ${ALL_WEBHOOK_EVENTS.join(', ')}`,
  })
  events!: WebhookEventType[];
}
