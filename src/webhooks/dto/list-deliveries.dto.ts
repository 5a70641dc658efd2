import { OneOfField } from '../../common/decorators/field.decorator';
import { PageQueryDto } from '../../common/pagination/cursor';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-events';

/** `GET /v1/webhooks/:id/deliveries?status=&limit=&cursor=`. */
export class ListDeliveriesDto extends PageQueryDto {
  @OneOfField(DELIVERY_STATUSES, { optional: true })
  status?: DeliveryStatus;
}
