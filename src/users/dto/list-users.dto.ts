import { EMAIL_RULES, EmailField } from '../../common/decorators/field.decorator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/users?email=` (admin): exact, case-insensitive e-mail match. */
export class ListUsersDto extends PageQueryDto {
  @EmailField({
    optional: true,
    maxLength: 254,
    accepts: 'lookup',
    description: `Exact e-mail, compared case-insensitively. ${EMAIL_RULES}`,
  })
  email?: string;
}
