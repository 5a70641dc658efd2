import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /v1/auth/register`: any other property (`role`, `disabled`…) is a 400, never applied. */
export class RegisterDto {
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(10)
  @MaxLength(128)
  password!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}
