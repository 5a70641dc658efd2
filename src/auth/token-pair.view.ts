import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** The only token type the API issues (RFC 6750 bearer tokens). */
export const TOKEN_TYPE = 'Bearer';

/** What a login or a refresh answers. */
@ApiSchema({ name: 'TokenPair' })
export class TokenPairView {
  @ApiProperty({ description: 'JWT (HS256) for `Authorization: Bearer …`' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque; spent by its first use on `/v1/auth/refresh`' })
  refreshToken!: string;

  @ApiProperty({ enum: [TOKEN_TYPE] })
  tokenType!: typeof TOKEN_TYPE;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Seconds until the access token expires' })
  expiresIn!: number;
}
