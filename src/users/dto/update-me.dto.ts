import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '../password-policy';

/** `PATCH /v1/users/me`: `role`, `disabled` or any other property is a 400, never applied. */
export class UpdateMeDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password?: string;

  /** Required with `password` (checked by the service: 400 `CURRENT_PASSWORD_INVALID`). */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  currentPassword?: string;
}
