import { IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/orders?userId=&limit=&cursor=`: `userId` narrows an admin's view; a user only ever sees their own. */
export class ListOrdersDto extends PageQueryDto {
  @IsOptional()
  @IsUUID()
  userId?: string;
}
