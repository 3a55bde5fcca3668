import { domainView } from './domains/sso-domains.service';
import type { SsoConnectionDto } from './dto/sso-connection-response.dto';
import type { SsoConnection } from './entities/sso-connection.entity';
import { ssoUrls } from './sso-urls';

/** What a connection shows: never the sealed client secret. */
export function connectionView(publicUrl: string, connection: SsoConnection): SsoConnectionDto {
  const certificates = connection.saml?.certificates ?? [];
  return {
    id: connection.id,
    tenantId: connection.tenantId,
    type: connection.type,
    name: connection.name,
    domains: (connection.domains ?? [])
      .map(domainView)
      .sort((a, b) => a.domain.localeCompare(b.domain)),
    jitProvisioning: connection.jitProvisioning,
    idpEnforcesMfa: connection.idpEnforcesMfa,
    defaultRoleIds: connection.defaultRoleIds,
    attributeMapping: connection.attributeMapping,
    ...(connection.saml
      ? {
          saml: {
            idpEntityId: connection.saml.idpEntityId,
            ssoUrl: connection.saml.ssoUrl,
            certificate: certificates[0],
            additionalCertificates: certificates.slice(1),
          },
        }
      : {}),
    ...(connection.oidc
      ? {
          oidc: {
            issuer: connection.oidc.issuer,
            clientId: connection.oidc.clientId,
            scopes: connection.oidc.scopes,
          },
        }
      : {}),
    ...ssoUrls(publicUrl, connection),
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
    version: connection.version,
  };
}
