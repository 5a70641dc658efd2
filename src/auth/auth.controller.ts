import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { ApiProblems } from '../common/decorators/api-problems.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { Public } from '../common/decorators/public.decorator';
import { LoginRateLimit } from '../rate-limit/rate-limit.decorator';
import { UserView } from '../users/user.view';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { RegisterDto } from './dto/register.dto';
import { TokenPairView } from './token-pair.view';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  @Operation('registerUser', 'Create an account', 'A `role` or any other extra property is refused (400).')
  @ApiCreatedResponse({ type: UserView })
  @ApiProblems('EMAIL_TAKEN')
  register(@Body() dto: RegisterDto, @CurrentActor() actor: Actor): Promise<UserView> {
    return this.auth.register(dto, actor);
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginRateLimit()
  @Operation(
    'login',
    'Sign in',
    'A wrong e-mail and a wrong password get the same answer; tries are limited per e-mail and client address.',
  )
  @ApiOkResponse({ type: TokenPairView })
  @ApiProblems('INVALID_CREDENTIALS')
  login(@Body() dto: LoginDto, @CurrentActor() actor: Actor): Promise<TokenPairView> {
    return this.auth.login(dto, actor);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @Operation(
    'refreshTokens',
    'Exchange a refresh token for a new pair',
    'The refresh token is spent; presenting a spent one again ends its whole login (401 REFRESH_TOKEN_REUSED).',
  )
  @ApiOkResponse({ type: TokenPairView })
  @ApiProblems('UNAUTHENTICATED', 'REFRESH_TOKEN_REUSED')
  refresh(@Body() dto: RefreshTokenDto, @CurrentActor() actor: Actor): Promise<TokenPairView> {
    return this.auth.refresh(dto.refreshToken, actor);
  }

  @Post('logout')
  @HttpCode(204)
  @Operation(
    'logout',
    'Sign out',
    'Ends the login of this refresh token: its refresh and access tokens stop working at once.',
  )
  @ApiNoContentResponse({ description: 'The login has ended' })
  async logout(@Body() dto: RefreshTokenDto, @CurrentActor() actor: Actor): Promise<void> {
    await this.auth.logout(dto.refreshToken, actor);
  }
}
