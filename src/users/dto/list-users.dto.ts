import { TextField } from '../../common/decorators/field.decorator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/users?email=` (admin): exact, case-insensitive e-mail match. */
export class ListUsersDto extends PageQueryDto {
  @TextField({ optional: true, maxLength: 254, description: 'Exact e-mail, compared case-insensitively' })
  email?: string;
}
