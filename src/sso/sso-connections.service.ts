import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, MoreThan, Not, type Repository } from 'typeorm';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { rulesOfRole } from '../auth/principal/principal.service';
import { SecretBox } from '../common/crypto/secret-box';
import { AppError, type FieldError } from '../common/errors/app-error';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { Role } from '../roles/entities/role.entity';
import { assertGrantable } from '../roles/privilege';
import { UserIdentity } from '../users/entities/user-identity.entity';
import { assertUpstreamUrl, normaliseDomains } from './connection-settings';
import {
  type AttributeMappingDto,
  type CreateSsoConnectionDto,
  type OidcSettingsDto,
  type SamlSettingsDto,
  type SsoConnectionDto,
  type SsoConnectionListDto,
  type UpdateSsoConnectionDto,
} from './dto/sso-connection.dto';
import { SsoConnectionDomain } from './entities/sso-connection-domain.entity';
import {
  type AttributeMapping,
  type OidcSettings,
  type SamlSettings,
  SsoConnection,
} from './entities/sso-connection.entity';
import { normaliseCertificate } from './saml/certificates';
import { parseIdpMetadata } from './saml/idp-metadata';
import { ssoUrls } from './sso-urls';
import { isUuid } from '../common/pipes/parse-uuid.pipe';

const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];

export function clientSecretContext(connectionId: string): string {
  return `sso.oidc.client-secret:${connectionId}`;
}

/** A connection with its domains, as the login flows need it. */
export type LoadedConnection = SsoConnection & { domainNames: string[] };

type ChangeListener = (connectionId: string) => void;

/**
 * The tenant's SSO connections: validation of their settings (IdP metadata, certificates,
 * upstream URLs), domains unique across the instance, default roles the caller may grant, the
 * OIDC client secret sealed at rest. Every query carries the caller's tenant.
 */
@Injectable()
export class SsoConnectionsService {
  private readonly changeListeners: ChangeListener[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly secrets: SecretBox,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    @InjectRepository(SsoConnection) private readonly connections: Repository<SsoConnection>,
    @InjectRepository(SsoConnectionDomain)
    private readonly domains: Repository<SsoConnectionDomain>,
    @InjectRepository(Role) private readonly roles: Repository<Role>,
  ) {}

  /** Lets a cache of derived state (OIDC discovery) drop a connection that changed. */
  onChange(listener: ChangeListener): void {
    this.changeListeners.push(listener);
  }

  async list(
    auth: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<SsoConnectionListDto> {
    const rows = await this.connections.find({
      where: { tenantId: auth.tenant.id, ...(cursor ? { id: MoreThan(cursor) } : {}) },
      relations: { domains: true },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => this.toDto(row)),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }

  async get(auth: Principal, id: string): Promise<SsoConnectionDto> {
    const connection = await this.findInTenant(auth, id);
    auth.permissions.assert('read', 'SsoConnection', connection);
    return this.toDto(connection);
  }

  async create(auth: Principal, input: CreateSsoConnectionDto): Promise<SsoConnectionDto> {
    const id = newId();
    const domains = this.checkDomains(input.domains);
    let saml: SamlSettings | null = null;
    let oidc: OidcSettings | null = null;
    if (input.type === 'saml') {
      if (input.oidc) throw fieldError('oidc', 'is only for OIDC connections');
      if (!input.saml) throw fieldError('saml', 'is required for a SAML connection');
      saml = await this.samlSettings(input.saml, null);
    } else {
      if (input.saml) throw fieldError('saml', 'is only for SAML connections');
      if (!input.oidc) throw fieldError('oidc', 'is required for an OIDC connection');
      oidc = this.oidcSettings(id, input.oidc, null);
    }
    const defaultRoleIds = input.defaultRoleIds ?? (await this.memberRoleIds(auth.tenant.id));
    await this.checkRoles(auth, defaultRoleIds, input.attributeMapping);

    const now = new Date();
    const connection = Object.assign(new SsoConnection(), {
      id,
      tenantId: auth.tenant.id,
      type: input.type,
      name: input.name.trim(),
      jitProvisioning: input.jitProvisioning ?? false,
      idpEnforcesMfa: input.idpEnforcesMfa ?? false,
      defaultRoleIds: [...new Set(defaultRoleIds)],
      attributeMapping: attributeMapping(input.attributeMapping),
      saml,
      oidc,
      createdAt: now,
      updatedAt: now,
    });
    auth.permissions.assert('create', 'SsoConnection', connection);
    await this.transactions.run(async (manager) => {
      await this.assertDomainsFree(manager, domains, null);
      await manager.insert(SsoConnection, connection);
      await this.insertDomains(manager, connection, domains);
    });
    this.audit.record({
      action: 'sso.connection.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      metadata: { type: connection.type, name: connection.name, domains },
    });
    return this.toDto({ ...connection, domains: domainRows(connection, domains) });
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateSsoConnectionDto,
  ): Promise<SsoConnectionDto> {
    const connection = await this.findInTenant(auth, id);
    auth.permissions.assert('update', 'SsoConnection', connection);
    const changed = Object.keys(input).filter(
      (key) => input[key as keyof UpdateSsoConnectionDto] !== undefined,
    );
    const domains = input.domains ? this.checkDomains(input.domains) : null;
    if (input.saml && connection.type !== 'saml')
      throw fieldError('saml', 'is only for SAML connections');
    if (input.oidc && connection.type !== 'oidc')
      throw fieldError('oidc', 'is only for OIDC connections');
    const saml = input.saml
      ? await this.samlSettings(input.saml, connection.saml)
      : connection.saml;
    const oidc = input.oidc ? this.oidcSettings(id, input.oidc, connection.oidc) : connection.oidc;
    if (input.defaultRoleIds || input.attributeMapping) {
      await this.checkRoles(auth, input.defaultRoleIds ?? [], input.attributeMapping);
    }
    const values = {
      name: input.name?.trim() ?? connection.name,
      jitProvisioning: input.jitProvisioning ?? connection.jitProvisioning,
      idpEnforcesMfa: input.idpEnforcesMfa ?? connection.idpEnforcesMfa,
      defaultRoleIds: input.defaultRoleIds
        ? [...new Set(input.defaultRoleIds)]
        : connection.defaultRoleIds,
      attributeMapping:
        input.attributeMapping !== undefined
          ? attributeMapping(input.attributeMapping)
          : connection.attributeMapping,
      saml,
      oidc,
      updatedAt: new Date(),
    };
    await this.transactions.run(async (manager) => {
      await manager.update(SsoConnection, { id, tenantId: auth.tenant.id }, values);
      if (domains) {
        await this.assertDomainsFree(manager, domains, id);
        await manager.delete(SsoConnectionDomain, { connectionId: id });
        await this.insertDomains(manager, connection, domains);
      }
    });
    this.notifyChange(id);
    this.audit.record({
      action: 'sso.connection.updated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      metadata: { fields: changed, ...(domains ? { domains } : {}) },
    });
    return this.get(auth, id);
  }

  async remove(auth: Principal, id: string): Promise<void> {
    const connection = await this.findInTenant(auth, id);
    auth.permissions.assert('delete', 'SsoConnection', connection);
    await this.transactions.run(async (manager) => {
      await manager.delete(SsoConnectionDomain, { connectionId: id });
      // Links to a connection that no longer exists could never be used again.
      await manager.delete(UserIdentity, { tenantId: auth.tenant.id, provider: `sso:${id}` });
      await manager.delete(SsoConnection, { id, tenantId: auth.tenant.id });
    });
    this.notifyChange(id);
    this.audit.record({
      action: 'sso.connection.deleted',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      metadata: { type: connection.type, name: connection.name },
    });
  }

  /** A connection by id, in any tenant (the login routes name it in their path), or null. */
  async findById(id: string): Promise<LoadedConnection | null> {
    // The login routes' pipe checked the id; the check stays for callers that did not.
    if (!isUuid(id)) return null;
    const connection = await this.connections.findOne({
      where: { id },
      relations: { domains: true },
    });
    return connection ? withDomainNames(connection) : null;
  }

  /** The connection serving an email domain, whichever tenant it belongs to, or null. */
  async findByDomain(domain: string): Promise<LoadedConnection | null> {
    const row = await this.domains.findOne({ where: { domain } });
    return row ? this.findById(row.connectionId) : null;
  }

  toDto(connection: SsoConnection): SsoConnectionDto {
    const urls = ssoUrls(this.config.http.publicUrl, connection);
    const certificates = connection.saml?.certificates ?? [];
    return {
      id: connection.id,
      tenantId: connection.tenantId,
      type: connection.type,
      name: connection.name,
      domains: (connection.domains ?? []).map((row) => row.domain).sort(),
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
      ...urls,
      createdAt: connection.createdAt.toISOString(),
      updatedAt: connection.updatedAt.toISOString(),
    };
  }

  private async findInTenant(auth: Principal, id: string): Promise<SsoConnection> {
    const connection = await this.connections.findOne({
      where: { id, tenantId: auth.tenant.id },
      relations: { domains: true },
    });
    if (!connection) throw AppError.notFound();
    return connection;
  }

  private checkDomains(domains: readonly string[]): string[] {
    try {
      return normaliseDomains(domains);
    } catch (error) {
      throw fieldError('domains', (error as Error).message);
    }
  }

  private async assertDomainsFree(
    manager: EntityManager,
    domains: readonly string[],
    ownConnectionId: string | null,
  ): Promise<void> {
    if (domains.length === 0) return;
    const taken = await manager.find(SsoConnectionDomain, {
      where: {
        domain: In([...domains]),
        ...(ownConnectionId ? { connectionId: Not(ownConnectionId) } : {}),
      },
    });
    // Which tenant holds it is not said: that would tell one tenant about another's customers.
    if (taken.length > 0) {
      throw AppError.conflict(
        `The domain ${taken[0].domain} is already served by a connection.`,
        'domains',
      );
    }
  }

  private async insertDomains(
    manager: EntityManager,
    connection: SsoConnection,
    domains: readonly string[],
  ): Promise<void> {
    if (domains.length > 0)
      await manager.insert(SsoConnectionDomain, domainRows(connection, domains));
  }

  private async samlSettings(
    input: SamlSettingsDto,
    current: SamlSettings | null,
  ): Promise<SamlSettings> {
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
      input.additionalCertificates.forEach((certificate, index) => {
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

  private oidcSettings(
    connectionId: string,
    input: OidcSettingsDto,
    current: OidcSettings | null,
  ): OidcSettings {
    const errors: FieldError[] = [];
    const issuer = input.issuer?.trim() ?? current?.issuer;
    if (!issuer) errors.push({ field: 'oidc.issuer', message: 'is required' });
    else {
      try {
        assertUpstreamUrl(issuer, { issuer: true });
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
    const scopes = input.scopes
      ? [...new Set(input.scopes)]
      : (current?.scopes ?? DEFAULT_OIDC_SCOPES);
    if (!scopes.includes('openid'))
      errors.push({ field: 'oidc.scopes', message: 'must include openid' });
    if (errors.length > 0 || !issuer || !clientId || !clientSecretSealed) {
      throw AppError.validation(errors);
    }
    return { issuer, clientId, clientSecretSealed, scopes };
  }

  private async memberRoleIds(tenantId: string): Promise<string[]> {
    const member = await this.roles.findOne({ where: { tenantId, name: 'member', builtIn: true } });
    return member ? [member.id] : [];
  }

  /**
   * Roles a JIT login will hand out must be roles of this tenant that the caller could grant
   * directly: configuring a connection is no way around the privilege check.
   */
  private async checkRoles(
    auth: Principal,
    defaultRoleIds: readonly string[],
    mapping: AttributeMappingDto | undefined,
  ): Promise<void> {
    const wanted = new Set([
      ...defaultRoleIds,
      ...(mapping?.groupRoles ?? []).flatMap((entry) => entry.roleIds),
    ]);
    if (wanted.size === 0) return;
    const found = await this.roles.find({
      where: { tenantId: auth.tenant.id, id: In([...wanted]) },
    });
    if (found.length !== wanted.size) {
      const known = new Set(found.map((role) => role.id));
      const field = defaultRoleIds.some((id) => !known.has(id))
        ? 'defaultRoleIds'
        : 'attributeMapping.groupRoles';
      throw fieldError(field, 'contains an unknown role');
    }
    assertGrantable(auth, found.flatMap(rulesOfRole));
  }

  private notifyChange(connectionId: string): void {
    for (const listener of this.changeListeners) listener(connectionId);
  }
}

function fieldError(field: string, message: string): AppError {
  return AppError.validation([{ field, message }]);
}

function domainRows(connection: SsoConnection, domains: readonly string[]): SsoConnectionDomain[] {
  return domains.map((domain) =>
    Object.assign(new SsoConnectionDomain(), {
      id: newId(),
      connectionId: connection.id,
      tenantId: connection.tenantId,
      domain,
    }),
  );
}

function withDomainNames(connection: SsoConnection): LoadedConnection {
  return Object.assign(connection, {
    domainNames: (connection.domains ?? []).map((row) => row.domain),
  });
}

function attributeMapping(input: AttributeMappingDto | undefined): AttributeMapping | null {
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
