import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { Public } from '../common/decorators/public.decorator';
import { LoginRateLimit } from '../rate-limit/rate-limit.decorators';
import type { UserView } from '../users/user.entity';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { RegisterDto } from './dto/register.dto';
import type { TokenPair } from './tokens';

@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  register(@Body() dto: RegisterDto, @CurrentActor() actor: Actor): Promise<UserView> {
    return this.auth.register(dto, actor);
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginRateLimit()
  login(@Body() dto: LoginDto, @CurrentActor() actor: Actor): Promise<TokenPair> {
    return this.auth.login(dto, actor);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  refresh(@Body() dto: RefreshTokenDto, @CurrentActor() actor: Actor): Promise<TokenPair> {
    return this.auth.refresh(dto.refreshToken, actor);
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Body() dto: RefreshTokenDto, @CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(dto.refreshToken, actor);
  }
}
