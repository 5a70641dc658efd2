import { TextField } from '../../common/decorators/field.decorator';

/** `POST /v1/auth/refresh` and `POST /v1/auth/logout`. */
export class RefreshTokenDto {
  @TextField({ minLength: 1, maxLength: 512, description: 'The refresh token of the login' })
  refreshToken!: string;
}
