import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { TOKEN_INPUT_MAX } from './password.dto';

const SECRET_NOTE =
  'absent from an idempotent replay after 10 minutes (`Idempotent-Secret-Withheld`)';

const CODE_DESCRIPTION =
  'A 6-digit code from the authenticator app, or an unused recovery code (XXXX-XXXX-XXXX-XXXX)';

export class TotpEnrollmentDto {
  @ApiProperty({
    description: `Base32 TOTP secret, for manual entry; ${SECRET_NOTE}`,
    example: 'JBSWY3DPEHPK3PXP',
    required: false,
  })
  secret!: string;

  @ApiProperty({
    description: `The secret as an otpauth URI; ${SECRET_NOTE}`,
    example: 'otpauth://totp/Acme:ada%40example.com?secret=…&issuer=Acme',
    required: false,
  })
  otpauthUri!: string;

  @ApiProperty({
    description: `The otpauth URI as a PNG QR code; ${SECRET_NOTE}`,
    example: 'data:image/png;base64,…',
    required: false,
  })
  qrCodeDataUrl!: string;
}

export class MfaCodeDto {
  @ApiProperty({ description: 'A 6-digit code from the authenticator app', maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description: `Ten single-use recovery codes; shown only this once, ${SECRET_NOTE}`,
    example: ['ABCD-EFGH-JKLM-NPQR'],
    required: false,
  })
  recoveryCodes!: string[];
}

export class DisableMfaDto {
  @ApiProperty({ description: 'The current password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;

  @ApiProperty({ description: CODE_DESCRIPTION, maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}

export class VerifyMfaDto {
  @ApiProperty({
    description: 'The `mfaToken` of the `mfa_required` login answer (single use, 5 minutes)',
    maxLength: TOKEN_INPUT_MAX,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TOKEN_INPUT_MAX)
  mfaToken!: string;

  @ApiProperty({ description: CODE_DESCRIPTION, maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}
