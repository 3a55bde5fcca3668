import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { TokenPairDto } from '../../auth/dto/auth.dto';
import type { Principal } from '../../auth/principal/principal';
import { Public } from '../../common/decorators/access.decorators';
import { OneTimeSecret } from '../../common/decorators/one-time-secret.decorator';
import { AccountSelfService } from '../account-holder';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth, Client, type ClientInfo } from '../../common/http/request-context';
import {
  DisableMfaDto,
  MfaCodeDto,
  RecoveryCodesDto,
  TotpEnrollmentDto,
  VerifyMfaDto,
} from '../dto/mfa.dto';
import { AllowedBeforeMfaEnrollment } from './admin-mfa.gate';
import { MfaEnrollmentService } from './mfa-enrollment.service';
import { MfaLoginService } from './mfa-login.service';

const WRONG_CODE = '`invalid_credentials`: a wrong, replayed or already used code';

@ApiTags('auth')
@ApiBadRequestResponse({
  description: 'Malformed JSON or invalid fields (`validation_failed`)',
  type: ProblemResponseDto,
})
@ApiTooManyRequestsResponse({
  description: 'Rate limited, or five wrong codes in a row (codes refused for 5 minutes)',
  type: ProblemResponseDto,
})
@Controller('v1/auth/mfa')
export class MfaController {
  constructor(
    private readonly enrollment: MfaEnrollmentService,
    private readonly login: MfaLoginService,
  ) {}

  @Post('totp/enroll')
  @AccountSelfService()
  @OneTimeSecret('secret', 'otpauthUri', 'qrCodeDataUrl')
  @AllowedBeforeMfaEnrollment()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start TOTP enrollment: a new secret, inactive until confirmed',
    description: 'Calling it again before confirming replaces the secret.',
  })
  @ApiOkResponse({ type: TotpEnrollmentDto })
  @ApiConflictResponse({ description: 'MFA is already on', type: ProblemResponseDto })
  enroll(@Auth() auth: Principal): Promise<TotpEnrollmentDto> {
    return this.enrollment.enroll(auth);
  }

  @Post('totp/confirm')
  @AccountSelfService()
  @OneTimeSecret('recoveryCodes')
  @AllowedBeforeMfaEnrollment()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Prove the app has the secret; turns MFA on and answers ten recovery codes, once',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiUnauthorizedResponse({ description: WRONG_CODE, type: ProblemResponseDto })
  @ApiConflictResponse({
    description: 'MFA is already on, or no enrollment was started',
    type: ProblemResponseDto,
  })
  confirm(@Auth() auth: Principal, @Body() body: MfaCodeDto): Promise<RecoveryCodesDto> {
    return this.enrollment.confirm(auth, body.code);
  }

  @Post('totp/disable')
  @AccountSelfService()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Turn MFA off, with the password and a code (TOTP or recovery)' })
  @ApiNoContentResponse({ description: 'MFA is off; the recovery codes are void' })
  @ApiBadRequestResponse({
    description: '`invalid_current_password`: the password is wrong',
    type: ProblemResponseDto,
  })
  @ApiUnauthorizedResponse({ description: WRONG_CODE, type: ProblemResponseDto })
  @ApiConflictResponse({ description: 'MFA is not on', type: ProblemResponseDto })
  disable(
    @Auth() auth: Principal,
    @Body() body: DisableMfaDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.enrollment.disable(auth, body.password, body.code, client);
  }

  @Post('verify')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Finish a login that answered `mfa_required`: the `mfaToken` and a code',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({
    description: `\`invalid_token\`: the mfaToken is unknown, used, expired or spent by five wrong codes; ${WRONG_CODE}`,
    type: ProblemResponseDto,
  })
  verify(@Body() body: VerifyMfaDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return this.login.verify(body.mfaToken, body.code, client);
  }
}
