import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/decorators/access.decorators';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { AppConfig } from '../../config/app-config';
import { OIDC_BINDING_COOKIE, OIDC_TRANSACTION_TTL_MS, OidcSsoService } from './oidc-sso.service';
import { UuidParam } from '../../common/pipes/parse-uuid.pipe';
import { readCodeChallenge } from '../../auth/exchange/pkce';
import { ApiLoginStartQueries } from '../sso-login-start.openapi';

const COOKIE_PATH = '/v1/sso/oidc';
const UPSTREAM_UNAVAILABLE = {
  description:
    '`upstream_unavailable`: the IdP (or an endpoint its discovery names) could not be reached, or the outbound address policy refused it',
  type: ProblemResponseDto,
};

@ApiTags('sso')
@ApiNotFoundResponse({ description: 'No OIDC connection with this id', type: ProblemResponseDto })
@Controller('v1/sso/oidc/:connectionId')
export class OidcSsoController {
  constructor(
    private readonly oidc: OidcSsoService,
    private readonly config: AppConfig,
  ) {}

  @Get('login')
  @Public()
  @ApiOperation({ summary: 'Start a login at the enterprise OIDC IdP (state, nonce, PKCE S256)' })
  @ApiLoginStartQueries()
  @ApiFoundResponse({ description: 'To the IdP; sets the httpOnly browser-binding cookie' })
  @ApiServiceUnavailableResponse(UPSTREAM_UNAVAILABLE)
  async login(
    @UuidParam('connectionId') connectionId: string,
    @Query('redirect_uri') redirectUri: unknown,
    @Query('code_challenge') codeChallenge: unknown,
    @Query('code_challenge_method') codeChallengeMethod: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const challenge = readCodeChallenge(codeChallenge, codeChallengeMethod);
    const { url, binding } = await this.oidc.startLogin(
      connectionId,
      redirectUri,
      cookie(req, OIDC_BINDING_COOKIE),
      challenge,
    );
    res.cookie(OIDC_BINDING_COOKIE, binding, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.http.publicUrl.startsWith('https://'),
      path: COOKIE_PATH,
      maxAge: OIDC_TRANSACTION_TTL_MS,
    });
    res.redirect(302, url);
  }

  @Get('callback')
  @Public()
  @ApiOperation({ summary: "The IdP's redirect: 302 to redirect_uri?code=" })
  @ApiFoundResponse({ description: 'To the app, with a one-time code for POST /v1/auth/exchange' })
  @ApiUnauthorizedResponse({
    description: '`sso_failed`: the answer was refused',
    type: ProblemResponseDto,
  })
  @ApiServiceUnavailableResponse(UPSTREAM_UNAVAILABLE)
  async callback(
    @UuidParam('connectionId') connectionId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const queryAt = req.originalUrl.indexOf('?');
    const rawQuery = queryAt === -1 ? '' : req.originalUrl.slice(queryAt + 1);
    const target = await this.oidc.callback(
      connectionId,
      req.query,
      rawQuery,
      cookie(req, OIDC_BINDING_COOKIE),
    );
    res.redirect(302, target);
  }
}

/** One cookie's value from the Cookie header (no cookie-parser in the pipeline). */
function cookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
