import { TextField } from '../../common/decorators/field.decorator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../password-policy';

/** `PATCH /v1/users/me`: `role`, `disabled` or any other property is a 400, never applied. */
export class UpdateMeDto {
  @TextField({ optional: true, minLength: 1, maxLength: 200 })
  name?: string;

  @TextField({
    optional: true,
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    description: 'A new password ends every other login of the user',
  })
  password?: string;

  /** Required with `password` (checked by the service: 400 `CURRENT_PASSWORD_INVALID`). */
  @TextField({ optional: true, maxLength: 128, description: 'Required with `password`' })
  currentPassword?: string;
}
