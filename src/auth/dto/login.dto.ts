import { EMAIL_RULES, EmailField, TextField } from '../../common/decorators/field.decorator';

/**
 * Any text is accepted as the e-mail (a wrong one gets the same answer as a wrong password), once
 * normalised as registration normalises it; a look-alike spelling simply matches no account.
 */
export class LoginDto {
  @EmailField({ maxLength: 254, accepts: 'lookup', description: EMAIL_RULES, example: 'ada@example.com' })
  email!: string;

  @TextField({ minLength: 1, maxLength: 128 })
  password!: string;
}
