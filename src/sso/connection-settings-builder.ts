import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { Principal } from '../auth/principal/principal';
import { rulesOfRole } from '../auth/principal/principal.service';
import { SecretBox } from '../common/crypto/secret-box';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError, type FieldError } from '../common/errors/app-error';
import { OutboundHttp } from '../common/outbound/outbound-http';
import { Role } from '../roles/entities/role.entity';
import { assertGrantable } from '../roles/privilege';
import { assertUpstreamUrl } from './connection-settings';
import type {
  AttributeMappingDto,
  OidcSettingsDto,
  SamlSettingsDto,
} from './dto/sso-connection-settings.dto';
import type {
  AttributeMapping,
  OidcSettings,
  SamlSettings,
} from './entities/sso-connection.entity';
import { normaliseCertificate } from './saml/certificates';
import { parseIdpMetadata } from './saml/idp-metadata';

const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];

export function clientSecretContext(connectionId: string): string {
  return `sso.oidc.client-secret:${connectionId}`;
}

/**
 * Turns the settings of a connection as an admin sent them into what is stored: IdP metadata
 * parsed, certificates normalised, upstream URLs checked (the OIDC issuer's address too), the OIDC client secret sealed, and
 * roles a JIT login hands out checked against what the caller may grant.
 */
@Injectable()
export class ConnectionSettingsBuilder {
  constructor(
    private readonly secrets: SecretBox,
    private readonly outbound: OutboundHttp,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
  ) {}

  async samlSettings(input: SamlSettingsDto, current: SamlSettings | null): Promise<SamlSettings> {
    if (input.metadataXml !== undefined) {
      const others = (
        ['idpEntityId', 'ssoUrl', 'certificate', 'additionalCertificates'] as const
      ).filter((key) => input[key] !== undefined);
      if (others.length > 0) {
        throw fieldError('saml.metadataXml', `cannot be combined with ${others.join(', ')}`);
      }
      try {
        const parsed = await parseIdpMetadata(input.metadataXml);
        assertUpstreamUrl(parsed.ssoUrl);
        return parsed;
      } catch (error) {
        throw fieldError('saml.metadataXml', (error as Error).message);
      }
    }
    const errors: FieldError[] = [];
    const idpEntityId = input.idpEntityId?.trim() ?? current?.idpEntityId;
    if (!idpEntityId) errors.push({ field: 'saml.idpEntityId', message: 'is required' });
    const ssoUrl = input.ssoUrl?.trim() ?? current?.ssoUrl;
    if (!ssoUrl) errors.push({ field: 'saml.ssoUrl', message: 'is required' });
    else {
      try {
        assertUpstreamUrl(ssoUrl);
      } catch (error) {
        errors.push({ field: 'saml.ssoUrl', message: (error as Error).message });
      }
    }
    let primary = current?.certificates[0];
    if (input.certificate !== undefined) {
      try {
        primary = normaliseCertificate(input.certificate);
      } catch (error) {
        errors.push({ field: 'saml.certificate', message: (error as Error).message });
      }
    }
    if (!primary && input.certificate === undefined) {
      errors.push({ field: 'saml.certificate', message: 'is required' });
    }
    let additional = current?.certificates.slice(1) ?? [];
    if (input.additionalCertificates !== undefined) {
      additional = [];
      // null clears them (JSON Merge Patch), as [] does.
      (input.additionalCertificates ?? []).forEach((certificate, index) => {
        try {
          additional.push(normaliseCertificate(certificate));
        } catch (error) {
          errors.push({
            field: `saml.additionalCertificates.${index}`,
            message: (error as Error).message,
          });
        }
      });
    }
    if (errors.length > 0 || !idpEntityId || !ssoUrl || !primary) throw AppError.validation(errors);
    return { idpEntityId, ssoUrl, certificates: [...new Set([primary, ...additional])] };
  }

  async oidcSettings(
    connectionId: string,
    input: OidcSettingsDto,
    current: OidcSettings | null,
  ): Promise<OidcSettings> {
    const errors: FieldError[] = [];
    const issuer = input.issuer?.trim() ?? current?.issuer;
    if (!issuer) errors.push({ field: 'oidc.issuer', message: 'is required' });
    else {
      try {
        assertUpstreamUrl(issuer, { issuer: true });
        // Known now, so said now (SPEC §14); the outbound client checks again at every request.
        const refusal = await this.outbound.refusal(new URL(issuer));
        if (refusal) throw new Error(`${refusal}, which is not reachable from Gatehouse`);
      } catch (error) {
        errors.push({ field: 'oidc.issuer', message: (error as Error).message });
      }
    }
    const clientId = input.clientId?.trim() ?? current?.clientId;
    if (!clientId) errors.push({ field: 'oidc.clientId', message: 'is required' });
    const clientSecretSealed =
      input.clientSecret !== undefined
        ? this.secrets.seal(input.clientSecret, clientSecretContext(connectionId))
        : current?.clientSecretSealed;
    if (!clientSecretSealed) errors.push({ field: 'oidc.clientSecret', message: 'is required' });
    // null returns to the default scopes; absent keeps the stored ones.
    const scopes =
      input.scopes === null
        ? DEFAULT_OIDC_SCOPES
        : input.scopes
          ? [...new Set(input.scopes)]
          : (current?.scopes ?? DEFAULT_OIDC_SCOPES);
    if (!scopes.includes('openid'))
      errors.push({ field: 'oidc.scopes', message: 'must include openid' });
    if (errors.length > 0 || !issuer || !clientId || !clientSecretSealed) {
      throw AppError.validation(errors);
    }
    return { issuer, clientId, clientSecretSealed, scopes };
  }

  async memberRoleIds(): Promise<string[]> {
    const member = await this.roles.findOne({ name: 'member', builtIn: true });
    return member ? [member.id] : [];
  }

  /**
   * Roles a JIT login will hand out must be roles of this tenant that the caller could grant
   * directly: configuring a connection is no way around the privilege check.
   */
  async checkRoles(
    auth: Principal,
    defaultRoleIds: readonly string[],
    mapping: AttributeMappingDto | null | undefined,
  ): Promise<void> {
    const wanted = new Set([
      ...defaultRoleIds,
      ...(mapping?.groupRoles ?? []).flatMap((entry) => entry.roleIds),
    ]);
    if (wanted.size === 0) return;
    const found = await this.roles.find({ where: { id: In([...wanted]) } });
    if (found.length !== wanted.size) {
      const known = new Set(found.map((role) => role.id));
      const field = defaultRoleIds.some((id) => !known.has(id))
        ? 'defaultRoleIds'
        : 'attributeMapping.groupRoles';
      throw fieldError(field, 'contains an unknown role');
    }
    assertGrantable(auth, found.flatMap(rulesOfRole));
  }
}

export function fieldError(field: string, message: string): AppError {
  return AppError.validation([{ field, message }]);
}

export function attributeMapping(
  input: AttributeMappingDto | AttributeMapping | null | undefined,
): AttributeMapping | null {
  if (!input) return null;
  const mapping: AttributeMapping = {};
  if (input.email) mapping.email = input.email;
  if (input.name) mapping.name = input.name;
  if (input.groups) mapping.groups = input.groups;
  if (input.groupRoles?.length) {
    mapping.groupRoles = input.groupRoles.map((entry) => ({
      group: entry.group,
      roleIds: [...new Set(entry.roleIds)],
    }));
  }
  return Object.keys(mapping).length > 0 ? mapping : null;
}

/**
 * JSON Merge Patch of a stored mapping: absent keeps a member, null removes it (the default
 * applies again), a list replaces; a null mapping clears it all.
 */
export function mergeAttributeMapping(
  current: AttributeMapping | null,
  patch: AttributeMappingDto | null | undefined,
): AttributeMapping | null {
  if (patch === undefined) return current;
  if (patch === null) return null;
  const merged: AttributeMapping = { ...current };
  for (const key of ['email', 'name', 'groups', 'groupRoles'] as const) {
    const value = patch[key];
    if (value === null) delete merged[key];
    else if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return attributeMapping(merged);
}
