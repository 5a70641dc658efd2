import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/cursor';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-events';

/** `GET /v1/webhooks/:id/deliveries?status=&limit=&cursor=`. */
export class ListDeliveriesDto extends PageQueryDto {
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}
