import { TextField } from '../../common/decorators/field.decorator';

/** Any text is accepted as the e-mail: a wrong one gets the same answer as a wrong password. */
export class LoginDto {
  @TextField({ minLength: 1, maxLength: 254, example: 'ada@example.com' })
  email!: string;

  @TextField({ minLength: 1, maxLength: 128 })
  password!: string;
}
