import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AccountSelfService } from '../account/account-holder';
import { Authenticated, Public } from '../common/decorators/access.decorators';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { Auth, Client, type ClientInfo } from '../common/http/request-context';
import { AuthService } from './auth.service';
import {
  ExchangeCodeDto,
  LoginDto,
  MeResponseDto,
  RefreshTokenDto,
  RegisterDto,
  RegisterResponseDto,
  TokenPairDto,
} from './dto/auth.dto';
import { OneTimeCodeService } from './exchange/one-time-code.service';
import type { Principal } from './principal/principal';

@ApiTags('auth')
@ApiBadRequestResponse({
  description: 'Malformed JSON or invalid fields',
  type: ProblemResponseDto,
})
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly codes: OneTimeCodeService,
  ) {}

  @Post('register')
  @Public()
  @ApiOperation({ summary: 'Create an account in a tenant and sign in' })
  @ApiCreatedResponse({ type: RegisterResponseDto })
  @ApiForbiddenResponse({ description: '`signup_disabled`', type: ProblemResponseDto })
  @ApiConflictResponse({
    description: 'The email is taken in this tenant',
    type: ProblemResponseDto,
  })
  register(@Body() body: RegisterDto, @Client() client: ClientInfo): Promise<RegisterResponseDto> {
    return this.auth.register(body, client);
  }

  @Post('login')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({
    description:
      '`invalid_credentials` (same answer for any wrong part), or `mfa_required` with an `mfaToken`',
    type: ProblemResponseDto,
  })
  @ApiForbiddenResponse({
    description:
      "`email_not_verified` (the tenant's `requireEmailVerification`), or `sso_required` with `{connectionId, loginUrl}`",
    type: ProblemResponseDto,
  })
  login(@Body() body: LoginDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.auth.login(body, client);
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (rotation; reuse revokes the session)',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ description: '`invalid_token`', type: ProblemResponseDto })
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPairDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('exchange')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Trade the one-time code of a social or SSO login for a token pair (once, within 60 s)',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({
    description:
      '`invalid_token`: unknown, expired or used code, or a `code_verifier` that does not answer its challenge; `validation_failed`',
    type: ProblemResponseDto,
  })
  @ApiUnauthorizedResponse({
    description: '`mfa_required` with an `mfaToken` for POST /v1/auth/mfa/verify',
    type: ProblemResponseDto,
  })
  @ApiForbiddenResponse({
    description: "`email_not_verified` (the tenant's `requireEmailVerification`)",
    type: ProblemResponseDto,
  })
  exchange(@Body() body: ExchangeCodeDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.codes.redeem(body.code, client, body.code_verifier ?? null);
  }

  @Post('logout')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the session of a refresh token' })
  @ApiNoContentResponse({ description: 'The session is revoked (also when the token was unknown)' })
  logout(@Body() body: RefreshTokenDto): Promise<void> {
    return this.auth.logout(body.refreshToken);
  }

  @Post('logout-all')
  @AccountSelfService()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'End every session of the caller; their access tokens stop working within seconds',
  })
  @ApiNoContentResponse()
  logoutAll(@Auth() auth: Principal): Promise<void> {
    return this.auth.logoutAll(auth);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({
    summary: 'The caller: user, tenant, roles and permissions (packed CASL rules)',
    description: 'An OAuth token sees only the fields its scopes allow.',
  })
  @ApiOkResponse({ type: MeResponseDto })
  @ApiForbiddenResponse({
    description: '`forbidden`: an API key or a client-credentials token (no signed-in user)',
    type: ProblemResponseDto,
  })
  me(@Auth() auth: Principal): Promise<MeResponseDto> {
    return this.auth.me(auth);
  }
}
