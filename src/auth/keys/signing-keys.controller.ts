import {
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  Injectable,
  Param,
  type PipeTransform,
  Post,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Can } from '../../common/decorators/access.decorators';
import { AppError } from '../../common/errors/app-error';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth } from '../../common/http/request-context';
import type { Principal } from '../principal/principal';
import { SigningKeyDto } from './dto/signing-key.dto';
import { SigningKeyRotationService } from './signing-key-rotation.service';

/** A kid is an RFC 7638 thumbprint (base64url SHA-256); a longer form is allowed for imports. */
const KID_PATTERN = /^[\w-]{1,128}$/;

/**
 * Anything else names no key: 404 as for an unknown kid, and it never reaches the database
 * (PostgreSQL refuses a NUL in text, which would surface as a 500).
 */
@Injectable()
class ParseKidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value === 'string' && KID_PATTERN.test(value)) return value;
    throw AppError.notFound();
  }
}

@ApiTags('platform')
@ApiForbiddenResponse({ description: 'Not a platform admin', type: ProblemResponseDto })
@Controller('v1/platform/signing-keys')
export class SigningKeysController {
  constructor(private readonly rotation: SigningKeyRotationService) {}

  @Post('rotate')
  @Can('manage', 'Platform')
  @ApiOperation({
    summary: 'Make a new signing key current (platform admins)',
    description:
      'The previous key stops signing but stays in the JWKS, and verifies, until every token it signed has expired.',
  })
  @ApiCreatedResponse({ type: SigningKeyDto, description: 'The new current key' })
  rotate(@Auth() auth: Principal): Promise<SigningKeyDto> {
    return this.rotation.rotate(auth);
  }

  @Delete(':kid')
  @Can('manage', 'Platform')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke a signing key at once, e.g. after a compromise (platform admins)',
    description:
      'The key leaves the JWKS and its tokens stop verifying within 10 s on every instance. Revoking the current key first makes a new one.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ description: 'No such key, or revoked already', type: ProblemResponseDto })
  revoke(@Auth() auth: Principal, @Param('kid', ParseKidPipe) kid: string): Promise<void> {
    return this.rotation.revoke(auth, kid);
  }
}
