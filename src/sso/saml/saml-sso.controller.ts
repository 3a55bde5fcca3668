import { Body, Controller, Get, Header, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { readCodeChallenge } from '../../auth/exchange/pkce';
import { Public } from '../../common/decorators/access.decorators';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { SamlPostDto } from '../dto/sso-login.dto';
import { ApiLoginStartQueries } from '../sso-login-start.openapi';
import { SamlBrowserBinding } from './saml-browser-binding';
import { SamlSsoService } from './saml-sso.service';
import { UuidParam } from '../../common/pipes/parse-uuid.pipe';

@ApiTags('sso')
@ApiNotFoundResponse({ description: 'No SAML connection with this id', type: ProblemResponseDto })
@Controller('v1/sso/saml/:connectionId')
export class SamlSsoController {
  constructor(
    private readonly saml: SamlSsoService,
    private readonly binding: SamlBrowserBinding,
  ) {}

  @Get('metadata')
  @Public()
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @ApiOperation({ summary: 'SP metadata of the connection (its entity ID is this URL)' })
  @ApiOkResponse({ description: 'SAML 2.0 metadata XML' })
  metadata(@UuidParam('connectionId') connectionId: string): Promise<string> {
    return this.saml.metadata(connectionId);
  }

  @Get('login')
  @Public()
  @ApiOperation({ summary: 'Start an SP-initiated login: 302 to the IdP with an AuthnRequest' })
  @ApiLoginStartQueries()
  @ApiFoundResponse({
    description:
      'To the IdP (HTTP-Redirect binding); sets the httpOnly browser-binding cookie (SameSite=None) that the ACS requires',
  })
  async login(
    @UuidParam('connectionId') connectionId: string,
    @Query('redirect_uri') redirectUri: unknown,
    @Query('code_challenge') codeChallenge: unknown,
    @Query('code_challenge_method') codeChallengeMethod: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const location = await this.saml.startLogin(connectionId, {
      redirectUri,
      codeChallenge: readCodeChallenge(codeChallenge, codeChallengeMethod),
      bind: () => this.binding.bind(req, res),
    });
    res.redirect(302, location);
  }

  @Post('acs')
  @Public()
  @ApiOperation({
    summary: 'Assertion consumer service (HTTP-POST binding): 302 to redirect_uri?code=',
  })
  @ApiFoundResponse({ description: 'To the app, with a one-time code for POST /v1/auth/exchange' })
  @ApiUnauthorizedResponse({
    description: '`sso_failed`: the response was refused',
    type: ProblemResponseDto,
  })
  @ApiBadRequestResponse({
    description:
      '`invalid_token`: this browser did not start the login (no or another binding cookie); `validation_failed`',
    type: ProblemResponseDto,
  })
  async acs(
    @UuidParam('connectionId') connectionId: string,
    @Body() body: SamlPostDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const location = await this.saml.consume(connectionId, body.SAMLResponse, (hash) =>
      this.binding.matches(req, hash),
    );
    this.binding.clear(res);
    res.redirect(302, location);
  }
}
