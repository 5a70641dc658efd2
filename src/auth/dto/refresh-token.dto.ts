import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /v1/auth/refresh` and `POST /v1/auth/logout`. */
export class RefreshTokenDto {
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  refreshToken!: string;
}
