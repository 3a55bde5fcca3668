import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/decorators/access.decorators';
import { KeyStoreService } from './key-store.service';

@ApiTags('operations')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: KeyStoreService) {}

  /** The public keys that verify Gatehouse's tokens, including retired ones still in use. */
  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'JSON Web Key Set of the token signing keys' })
  @ApiOkResponse({
    description: 'RFC 7517 key set',
    schema: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } },
  })
  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }
}
