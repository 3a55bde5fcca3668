import { Body, Controller, Get, Header, Post, Query, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/decorators/access.decorators';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { SamlPostDto } from '../dto/sso-connection.dto';
import { SamlSsoService } from './saml-sso.service';
import { UuidParam } from '../../common/pipes/parse-uuid.pipe';

@ApiTags('sso')
@ApiNotFoundResponse({ description: 'No SAML connection with this id', type: ProblemResponseDto })
@Controller('v1/sso/saml/:connectionId')
export class SamlSsoController {
  constructor(private readonly saml: SamlSsoService) {}

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
  @ApiQuery({
    name: 'redirect_uri',
    description: 'An entry of APP_REDIRECT_ALLOWLIST (plus a query)',
  })
  @ApiFoundResponse({ description: 'To the IdP (HTTP-Redirect binding)' })
  async login(
    @UuidParam('connectionId') connectionId: string,
    @Query('redirect_uri') redirectUri: unknown,
    @Res() res: Response,
  ): Promise<void> {
    res.redirect(302, await this.saml.startLogin(connectionId, redirectUri));
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
  async acs(
    @UuidParam('connectionId') connectionId: string,
    @Body() body: SamlPostDto,
    @Res() res: Response,
  ): Promise<void> {
    res.redirect(302, await this.saml.consume(connectionId, body.SAMLResponse));
  }
}
