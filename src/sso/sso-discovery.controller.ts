import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../common/decorators/access.decorators';
import { AppError } from '../common/errors/app-error';
import { ProblemResponseDto } from '../common/http/problem-response.dto';
import { AppConfig } from '../config/app-config';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import { emailDomain } from './connection-settings';
import { DiscoverDto, DiscoveryResultDto } from './dto/sso-login.dto';
import { SsoConnectionsService } from './sso-connections.service';
import { ssoUrls } from './sso-urls';

@ApiTags('sso')
@Controller('v1/sso')
export class SsoDiscoveryController {
  constructor(
    private readonly connections: SsoConnectionsService,
    private readonly tenants: TenantDirectory,
    private readonly config: AppConfig,
  ) {}

  /**
   * Home-realm discovery by the email's domain only (exact match, no parent domains): the
   * answer says nothing about whether an account exists.
   */
  @Post('discover')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Which SSO connection serves this email's domain" })
  @ApiOkResponse({ type: DiscoveryResultDto })
  @ApiBadRequestResponse({
    description: '`validation_failed`: not an email address',
    type: ProblemResponseDto,
  })
  @ApiNotFoundResponse({ description: 'No connection serves the domain', type: ProblemResponseDto })
  async discover(@Body() body: DiscoverDto): Promise<DiscoveryResultDto> {
    const domain = emailDomain(body.email);
    const connection = domain ? await this.connections.findByDomain(domain) : null;
    const tenant = connection ? await this.tenants.findById(connection.tenantId) : null;
    if (!connection || tenant?.status !== 'active') {
      throw AppError.notFound('No single sign-on connection serves this email domain.');
    }
    return {
      connectionId: connection.id,
      loginUrl: ssoUrls(this.config.http.publicUrl, connection).loginUrl,
    };
  }
}
