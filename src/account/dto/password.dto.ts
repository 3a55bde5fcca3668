import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../../auth/dto/auth.dto';

/** Passwords are bounded before argon2 sees them; the policy itself allows 8 to 128 characters. */
const PASSWORD_INPUT_MAX = 1024;
/** Mailed tokens are 43 characters (256 bits, base64url); anything much longer is not one. */
export const TOKEN_INPUT_MAX = 128;

export class ForgotPasswordDto {
  @ApiProperty({ example: 'acme', description: "The tenant's slug" })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'must be a tenant slug' })
  tenant!: string;

  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({
    description: 'The token of a reset or invite link (`?token=` of the mailed link)',
    maxLength: TOKEN_INPUT_MAX,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TOKEN_INPUT_MAX)
  token!: string;

  @ApiProperty({
    minLength: 8,
    maxLength: 128,
    description: 'NIST 800-63B: 8 to 128 characters, not a common password, not the email',
  })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  newPassword!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_INPUT_MAX)
  currentPassword!: string;

  @ApiProperty({
    minLength: 8,
    maxLength: 128,
    description: 'NIST 800-63B: 8 to 128 characters, not a common password, not the email',
  })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  newPassword!: string;
}

export class AcceptedDto {
  @ApiProperty({ example: 'accepted' })
  status!: 'accepted';
}

export class VerifyEmailDto {
  @ApiProperty({
    description: 'The token of a verification link (`?token=` of the mailed link)',
    maxLength: TOKEN_INPUT_MAX,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TOKEN_INPUT_MAX)
  token!: string;
}
