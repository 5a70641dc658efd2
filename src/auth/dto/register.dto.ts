import { EMAIL_RULES, EmailField, TextField } from '../../common/decorators/field.decorator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../users/password-policy';

/** `POST /v1/auth/register`: any other property (`role`, `disabled`…) is a 400, never applied. */
export class RegisterDto {
  @EmailField({
    maxLength: 254,
    accepts: { address: 'email must be an e-mail address' },
    description: EMAIL_RULES,
    example: 'ada@example.com',
  })
  email!: string;

  @TextField({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  password!: string;

  @TextField({ minLength: 1, maxLength: 200, example: 'Ada Lovelace' })
  name!: string;
}
