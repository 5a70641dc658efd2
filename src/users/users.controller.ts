import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import type { Page } from '../common/pagination/cursor';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto';
import { ListUsersDto } from './dto/list-users.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import type { UserView } from './user.entity';
import { UsersService } from './users.service';

@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  me(@CurrentActor() actor: Actor): Promise<UserView> {
    return this.users.me(actor);
  }

  @Patch('me')
  updateMe(@Body() dto: UpdateMeDto, @CurrentActor() actor: Actor): Promise<UserView> {
    return this.users.updateMe(actor, dto);
  }

  @Get()
  @Roles('admin')
  list(@Query() query: ListUsersDto): Promise<Page<UserView>> {
    return this.users.list(query);
  }

  @Get(':id')
  @Roles('admin')
  get(@Param('id') id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @Roles('admin')
  update(
    @Param('id') id: string,
    @Body() dto: AdminUpdateUserDto,
    @CurrentActor() actor: Actor,
  ): Promise<UserView> {
    return this.users.adminUpdate(actor, id, dto);
  }
}
