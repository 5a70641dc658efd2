import { UuidField } from '../../common/decorators/field.decorator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/orders?userId=&limit=&cursor=`: `userId` narrows an admin's view; a user only ever sees their own. */
export class ListOrdersDto extends PageQueryDto {
  @UuidField({ optional: true, description: "Admin only: that user's orders (a user always sees their own)" })
  userId?: string;
}
