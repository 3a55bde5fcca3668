import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/decorators/access.decorators';
import { AppError } from '../common/errors/app-error';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { readCodeChallenge } from '../auth/exchange/pkce';
import { SocialStartQueryDto } from './dto/social.dto';
import { BrowserBinding } from './federation/browser-binding';
import { SocialLoginService } from './social-login.service';

const PROVIDER_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

@ApiTags('social')
@ApiParam({
  name: 'provider',
  example: 'google',
  description: '`google`, `github` or an OIDC_PROVIDERS name',
})
@Controller('v1/auth/social')
export class SocialController {
  constructor(
    private readonly social: SocialLoginService,
    private readonly binding: BrowserBinding,
  ) {}

  @Get(':provider')
  @Public()
  @ApiOperation({
    summary: 'Start a social login: 302 to the provider (state, nonce, PKCE S256)',
    description:
      'Sets an httpOnly cookie that binds the login to this browser. If the provider is unreachable, 302 to `redirect_uri?error=temporarily_unavailable`.',
  })
  @ApiFoundResponse({ description: 'To the provider (or back to the app with `?error=`)' })
  @ApiBadRequestResponse({
    description:
      "`validation_failed`: missing tenant, redirect_uri not allowed (by APP_REDIRECT_ALLOWLIST or the tenant's `settings.redirectAllowlist`), or a malformed code_challenge",
    type: ProblemResponseDto,
  })
  @ApiNotFoundResponse({ description: 'No such provider', type: ProblemResponseDto })
  @ApiForbiddenResponse({
    description: 'The tenant is unknown or suspended, or the provider is not enabled for it',
    type: ProblemResponseDto,
  })
  async start(
    @Param('provider') provider: string,
    @Query() query: SocialStartQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!PROVIDER_PATTERN.test(provider))
      throw AppError.notFound('There is no such sign-in provider.');
    const codeChallenge = readCodeChallenge(query.code_challenge, query.code_challenge_method);
    const location = await this.social.start(
      provider,
      { tenant: query.tenant, redirectUri: query.redirect_uri, codeChallenge },
      () => this.binding.bind(req, res),
    );
    res.redirect(302, location);
  }

  @Get(':provider/callback')
  @Public()
  @ApiOperation({
    summary: 'The provider returns here: 302 to `redirect_uri?code=` (or `?error=`)',
    description:
      'Trade the code for tokens with `POST /v1/auth/exchange` within 60 s. Errors: access_denied, temporarily_unavailable, provider_error, login_failed, email_required, account_exists, signup_disabled, account_disabled, server_error.',
  })
  @ApiFoundResponse({ description: 'To the app' })
  @ApiBadRequestResponse({
    description:
      'No state, or an unknown, expired or used one (`invalid_token`): nowhere safe to redirect',
    type: ProblemResponseDto,
  })
  async callback(
    @Param('provider') provider: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const queryStart = req.originalUrl.indexOf('?');
    const location = await this.social.callback({
      provider: provider.slice(0, 64),
      query: queryStart < 0 ? '' : req.originalUrl.slice(queryStart + 1),
      boundTo: (hash) => this.binding.matches(req, hash),
    });
    res.redirect(302, location);
  }
}
