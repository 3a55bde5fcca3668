import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Principal } from '../../auth/principal/principal';
import { Public } from '../../common/decorators/access.decorators';
import { AccountSelfService } from '../account-holder';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth, Client, type ClientInfo } from '../../common/http/request-context';
import {
  AcceptedDto,
  ChangePasswordDto,
  ForgotPasswordDto,
  ResetPasswordDto,
} from '../dto/password.dto';
import { AllowedBeforeMfaEnrollment } from '../mfa/admin-mfa.gate';
import { PasswordLinksService } from './password-links.service';
import { PasswordService } from './password.service';

export const ACCEPTED: AcceptedDto = Object.freeze({ status: 'accepted' as const });

@ApiTags('auth')
@ApiBadRequestResponse({
  description: 'Malformed JSON or invalid fields (`validation_failed`)',
  type: ProblemResponseDto,
})
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/auth/password')
export class PasswordController {
  constructor(
    private readonly links: PasswordLinksService,
    private readonly passwords: PasswordService,
  ) {}

  @Post('forgot')
  @Public()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Mail a password-reset link (single use, 30 minutes) if the account exists',
    description:
      'Always 202 with the same body, answered before the account is even looked up: the answer tells nothing about which accounts exist. At most one mail per account per minute.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  forgot(@Body() body: ForgotPasswordDto): AcceptedDto {
    this.links.requestReset(body.tenant, body.email);
    return ACCEPTED;
  }

  @Post('reset')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset or invite link',
    description:
      'Marks the email verified and ends every session of the user. A refused password (`validation_failed`) leaves the link usable.',
  })
  @ApiNoContentResponse({ description: 'Password set; every session revoked' })
  @ApiBadRequestResponse({
    description: '`invalid_token` (unknown, used, superseded or expired link), `validation_failed`',
    type: ProblemResponseDto,
  })
  reset(@Body() body: ResetPasswordDto): Promise<void> {
    return this.passwords.reset(body.token, body.newPassword);
  }

  @Post('change')
  @AccountSelfService()
  @AllowedBeforeMfaEnrollment()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Change the password; every other session of the caller ends' })
  @ApiNoContentResponse({ description: 'Changed; the current session stays signed in' })
  @ApiBadRequestResponse({
    description: '`invalid_current_password`, `validation_failed`',
    type: ProblemResponseDto,
  })
  @ApiTooManyRequestsResponse({
    description:
      '`rate_limited`: too many wrong passwords for this account (the login lockout), `Retry-After`',
    type: ProblemResponseDto,
  })
  change(
    @Auth() auth: Principal,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.passwords.change(auth, body.currentPassword, body.newPassword, client);
  }
}
