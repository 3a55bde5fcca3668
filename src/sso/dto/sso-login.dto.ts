import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class DiscoverDto {
  @ApiProperty({ example: 'ada@acme.com' })
  @IsString()
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'must be an email address' })
  @MaxLength(254)
  email!: string;
}

export class DiscoveryResultDto {
  @ApiProperty({ format: 'uuid' })
  connectionId!: string;

  @ApiProperty()
  loginUrl!: string;
}

/** The HTTP-POST binding's form (SAML Bindings §3.5). */
export class SamlPostDto {
  @ApiProperty({ description: 'Base64 SAML Response' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(140_000)
  SAMLResponse!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  RelayState?: string;
}
