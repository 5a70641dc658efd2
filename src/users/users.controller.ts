import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { ApiPageResponse } from '../common/decorators/api-page-response.decorator';
import { ApiProblems } from '../common/decorators/api-problems.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto';
import { ListUsersDto } from './dto/list-users.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UserView } from './user.view';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Operation('getMe', 'The signed-in user')
  @ApiOkResponse({ type: UserView })
  me(@CurrentActor() actor: Actor): Promise<UserView> {
    return this.users.me(actor);
  }

  @Patch('me')
  @Operation(
    'updateMe',
    'Change your name or password',
    'A new password needs the current one and ends every other login of the user.',
  )
  @ApiOkResponse({ type: UserView })
  @ApiProblems('CURRENT_PASSWORD_INVALID')
  updateMe(@Body() dto: UpdateMeDto, @CurrentActor() actor: Actor): Promise<UserView> {
    return this.users.updateMe(actor, dto);
  }

  @Get()
  @Roles('admin')
  @Operation('listUsers', 'List users')
  @ApiPageResponse(UserView)
  list(@Query() query: ListUsersDto): Promise<Page<UserView>> {
    return this.users.list(query);
  }

  @Get(':id')
  @Roles('admin')
  @Operation('getUser', 'Get a user')
  @ApiOkResponse({ type: UserView })
  get(@Param('id') id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @Roles('admin')
  @Operation(
    'updateUser',
    'Change a user’s name, role or status',
    'Disabling a user ends every login of theirs at once. The last enabled admin can be neither demoted nor disabled.',
  )
  @ApiOkResponse({ type: UserView })
  @ApiProblems('LAST_ADMIN')
  update(
    @Param('id') id: string,
    @Body() dto: AdminUpdateUserDto,
    @CurrentActor() actor: Actor,
  ): Promise<UserView> {
    return this.users.adminUpdate(actor, id, dto);
  }
}
