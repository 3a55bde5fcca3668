import { Controller, Delete, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Can } from '../../common/decorators/access.decorators';
import { ProblemResponseDto } from '../../common/http/problem-response.dto';
import { Auth } from '../../common/http/request-context';
import type { Principal } from '../principal/principal';
import { SigningKeyDto } from './dto/signing-key.dto';
import { SigningKeyRotationService } from './signing-key-rotation.service';

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
  revoke(@Auth() auth: Principal, @Param('kid') kid: string): Promise<void> {
    return this.rotation.revoke(auth, kid);
  }
}
