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
import { Auth } from '../../common/http/request-context';
import { AcceptedDto, VerifyEmailDto } from '../dto/password.dto';
import { AllowedBeforeMfaEnrollment } from '../mfa/admin-mfa.gate';
import { ACCEPTED } from '../password/password.controller';
import { EmailVerificationService } from './email-verification.service';

@ApiTags('auth')
@ApiBadRequestResponse({
  description: 'Malformed JSON or invalid fields (`validation_failed`)',
  type: ProblemResponseDto,
})
@ApiTooManyRequestsResponse({ description: 'Rate limited', type: ProblemResponseDto })
@Controller('v1/auth/email')
export class EmailVerificationController {
  constructor(private readonly verification: EmailVerificationService) {}

  @Post('verify')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Confirm the email address with the token of a verification link' })
  @ApiNoContentResponse({ description: 'The address is verified' })
  @ApiBadRequestResponse({
    description: '`invalid_token` (unknown, used, superseded or expired link)',
    type: ProblemResponseDto,
  })
  verify(@Body() body: VerifyEmailDto): Promise<void> {
    return this.verification.verify(body.token);
  }

  @Post('resend')
  @AccountSelfService()
  @AllowedBeforeMfaEnrollment()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Mail a new verification link to the caller',
    description:
      'Nothing is sent when the address is already verified. Within a minute of the last link the answer is 429 `rate_limited` with `Retry-After`.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async resend(@Auth() auth: Principal): Promise<AcceptedDto> {
    await this.verification.resend(auth);
    return ACCEPTED;
  }
}
