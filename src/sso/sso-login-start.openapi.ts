import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiQuery } from '@nestjs/swagger';
import { ProblemResponseDto } from '../common/http/problem-response.dto';

/** The query of an SSO login start (SAML and OIDC alike), for OpenAPI. */
export function ApiLoginStartQueries(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'redirect_uri',
      description:
        "An entry of APP_REDIRECT_ALLOWLIST (plus a query), and of the tenant's `settings.redirectAllowlist` when it set one",
    }),
    ApiQuery({
      name: 'code_challenge',
      required: false,
      description:
        'PKCE S256 challenge (43-128 base64url characters): `POST /v1/auth/exchange` then needs its `code_verifier`',
    }),
    ApiQuery({ name: 'code_challenge_method', required: false, enum: ['S256'] }),
    ApiBadRequestResponse({
      description: '`validation_failed`: redirect_uri not allowed, or a malformed code_challenge',
      type: ProblemResponseDto,
    }),
  );
}
