import { BooleanField, OneOfField, TextField } from '../../common/decorators/field.decorator';
import { USER_ROLES, UserRole } from '../user.entity';

/** `PATCH /v1/users/:id` (admin). */
export class AdminUpdateUserDto {
  @TextField({ optional: true, minLength: 1, maxLength: 200 })
  name?: string;

  @OneOfField(USER_ROLES, { optional: true })
  role?: UserRole;

  @BooleanField({ optional: true, description: 'Disabling ends every login of the user at once' })
  disabled?: boolean;
}
