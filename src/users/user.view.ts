import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { USER_ROLES } from './user.entity';
import type { User, UserRole } from './user.entity';

/** The public shape of a user: never the hash. */
@ApiSchema({ name: 'User' })
export class UserView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'email', description: 'Lower-case' })
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: USER_ROLES })
  role!: UserRole;

  @ApiProperty({ description: 'A disabled user cannot sign in; their tokens stopped working' })
  disabled!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export function toUserView(
  user: Pick<User, 'id' | 'email' | 'name' | 'role' | 'disabled' | 'createdAt' | 'updatedAt'>,
): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
