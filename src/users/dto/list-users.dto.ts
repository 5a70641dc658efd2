import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/cursor';

/** `GET /v1/users?email=` (admin): exact, case-insensitive e-mail match. */
export class ListUsersDto extends PageQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}
