import { Injectable } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { OneTimeCodeService } from '../auth/exchange/one-time-code.service';
import type { Principal } from '../auth/principal/principal';
import { SessionService } from '../auth/tokens/session.service';
import { newId } from '../common/crypto/ids';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type PageQueryDto, paginate } from '../common/pagination/pagination';
import { IfMatch } from '../common/http/if-match';
import { isUuid } from '../common/pipes/parse-uuid.pipe';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { whereAccessible } from '../roles/accessible-query';
import { UserIdentity } from '../users/entities/user-identity.entity';
import {
  attributeMapping,
  ConnectionSettingsBuilder,
  fieldError,
  mergeAttributeMapping,
} from './connection-settings-builder';
import { SsoDomainsService } from './domains/sso-domains.service';
import type { CreateSsoConnectionDto, UpdateSsoConnectionDto } from './dto/sso-connection.dto';
import type { SsoConnectionDto, SsoConnectionListDto } from './dto/sso-connection-response.dto';
import { SsoConnectionDomain } from './entities/sso-connection-domain.entity';
import {
  type OidcSettings,
  type SamlSettings,
  SsoConnection,
} from './entities/sso-connection.entity';
import { connectionView } from './sso-connection-view';
import { assertMayConfigure, changedTrustFields, trustState } from './sso-trust';

export { clientSecretContext } from './connection-settings-builder';

/** A connection with its verified domains, as the login flows need it. */
export type LoadedConnection = SsoConnection & { domainNames: string[] };

type ChangeListener = (connectionId: string) => void;

/**
 * The tenant's SSO connections. Reading and renaming are admin-level; creating, deleting and
 * changing trust (`sso-trust.ts`) are owner-level, and a trust change ends the sessions that came
 * through the connection. Every query carries the caller's tenant.
 */
@Injectable()
export class SsoConnectionsService {
  private readonly changeListeners: ChangeListener[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly settings: ConnectionSettingsBuilder,
    private readonly domainClaims: SsoDomainsService,
    private readonly sessions: SessionService,
    private readonly codes: OneTimeCodeService,
    @InjectTenantRepository(SsoConnection)
    private readonly connections: TenantScopedRepository<SsoConnection>,
    @InjectTenantRepository(SsoConnectionDomain)
    private readonly domains: TenantScopedRepository<SsoConnectionDomain>,
    @InjectTenantRepository(UserIdentity)
    private readonly identities: TenantScopedRepository<UserIdentity>,
  ) {}

  /** Lets a cache of derived state (OIDC discovery) drop a connection that changed. */
  onChange(listener: ChangeListener): void {
    this.changeListeners.push(listener);
  }

  async list(auth: Principal, query: PageQueryDto): Promise<SsoConnectionListDto> {
    const { rows, nextCursor } = await paginate(
      whereAccessible(
        this.connections.queryBuilder('connection'),
        'connection',
        auth.permissions,
        'read',
        'SsoConnection',
      ).leftJoinAndSelect('connection.domains', 'domain'),
      query,
    );
    return { items: rows.map((row) => this.toDto(row)), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<SsoConnectionDto> {
    const connection = await this.findInTenant(id);
    auth.permissions.assert('read', 'SsoConnection', connection);
    return this.toDto(connection);
  }

  async create(auth: Principal, input: CreateSsoConnectionDto): Promise<SsoConnectionDto> {
    const id = newId();
    const domains = this.domainClaims.normalise(input.domains);
    let saml: SamlSettings | null = null;
    let oidc: OidcSettings | null = null;
    if (input.type === 'saml') {
      if (input.oidc) throw fieldError('oidc', 'is only for OIDC connections');
      if (!input.saml) throw fieldError('saml', 'is required for a SAML connection');
      saml = await this.settings.samlSettings(input.saml, null);
    } else {
      if (input.saml) throw fieldError('saml', 'is only for SAML connections');
      if (!input.oidc) throw fieldError('oidc', 'is required for an OIDC connection');
      oidc = await this.settings.oidcSettings(id, input.oidc, null);
    }
    const defaultRoleIds = input.defaultRoleIds ?? (await this.settings.memberRoleIds());

    const now = new Date();
    const connection = this.connections.create({
      id,
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
    assertMayConfigure(auth, 'create', connection);
    await this.settings.checkRoles(auth, defaultRoleIds, input.attributeMapping);
    await this.transactions.run(async (manager) => {
      await this.connections.in(manager).insert(connection);
      await this.domainClaims.replace(manager, connection, [], domains);
    });
    this.audit.record({
      action: 'sso.connection.created',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      metadata: { type: connection.type, name: connection.name, domains },
    });
    return this.toDto(await this.findInTenant(id));
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateSsoConnectionDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<SsoConnectionDto> {
    const connection = await this.findInTenant(id);
    const fields = definedKeys(input);
    assertMayConfigure(auth, 'update', connection, fields);
    const guard = ifMatch.check(connection.version);
    const domains = input.domains ? this.domainClaims.normalise(input.domains) : null;
    if (input.saml && connection.type !== 'saml')
      throw fieldError('saml', 'is only for SAML connections');
    if (input.oidc && connection.type !== 'oidc')
      throw fieldError('oidc', 'is only for OIDC connections');
    const saml = input.saml
      ? await this.settings.samlSettings(input.saml, connection.saml)
      : connection.saml;
    const oidc = input.oidc
      ? await this.settings.oidcSettings(id, input.oidc, connection.oidc)
      : connection.oidc;
    if (input.defaultRoleIds || input.attributeMapping) {
      await this.settings.checkRoles(auth, input.defaultRoleIds ?? [], input.attributeMapping);
    }
    const values = {
      name: input.name?.trim() ?? connection.name,
      jitProvisioning: input.jitProvisioning ?? connection.jitProvisioning,
      idpEnforcesMfa: input.idpEnforcesMfa ?? connection.idpEnforcesMfa,
      // null returns to the member role, as a new connection has.
      defaultRoleIds:
        input.defaultRoleIds === null
          ? await this.settings.memberRoleIds()
          : input.defaultRoleIds
            ? [...new Set(input.defaultRoleIds)]
            : connection.defaultRoleIds,
      attributeMapping: mergeAttributeMapping(connection.attributeMapping, input.attributeMapping),
      saml,
      oidc,
      updatedAt: new Date(),
    };
    const current = connection.domains ?? [];
    const trustFields = changedTrustFields(
      trustState(
        connection,
        current.map((row) => row.domain),
      ),
      trustState(values, domains ?? current.map((row) => row.domain)),
      input.oidc?.clientSecret !== undefined,
    );
    await this.transactions.run(async (manager) => {
      guard.settle(await this.connections.in(manager).update(guard.where({ id }), values));
      if (domains) await this.domainClaims.replace(manager, connection, current, domains);
    });
    this.notifyChange(id);
    const revokedSessions = trustFields.length > 0 ? await this.endTrust(id) : 0;
    this.audit.record({
      action: 'sso.connection.updated',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      // Names only: the values of trust settings (a client secret) never enter the log.
      metadata: { fields, trustFields, revokedSessions, ...(domains ? { domains } : {}) },
    });
    return this.get(auth, id);
  }

  /** `POST …/domains/verify`: checks pending domains' TXT records; one verified: a new version. */
  async verifyDomains(auth: Principal, id: string): Promise<SsoConnectionDto> {
    const connection = await this.findInTenant(id);
    assertMayConfigure(auth, 'update', connection, ['domains']);
    const verified = await this.domainClaims.verify(connection);
    if (verified.length > 0) {
      await this.connections.update({ id }, { updatedAt: new Date() });
      this.notifyChange(id);
      this.audit.record({
        action: 'sso.connection.domains_verified',
        outcome: 'success',
        tenantId: auth.tenant.id,
        target: { type: 'sso_connection', id },
        metadata: { domains: verified },
      });
    }
    return this.get(auth, id);
  }

  async remove(auth: Principal, id: string): Promise<void> {
    const connection = await this.findInTenant(id);
    assertMayConfigure(auth, 'delete', connection);
    await this.transactions.run(async (manager) => {
      await this.domains.in(manager).delete({ connectionId: id });
      // Links to a connection that no longer exists could never be used again.
      await this.identities.in(manager).delete({ provider: `sso:${id}` });
      await this.connections.in(manager).delete({ id });
    });
    this.notifyChange(id);
    const revokedSessions = await this.endTrust(id);
    this.audit.record({
      action: 'sso.connection.deleted',
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'sso_connection', id },
      metadata: { type: connection.type, name: connection.name, revokedSessions },
    });
  }

  /** A connection by id, in any tenant (the login routes name it in their path), or null. */
  async findById(id: string): Promise<LoadedConnection | null> {
    // The login routes' pipe checked the id; the check stays for callers that did not.
    if (!isUuid(id)) return null;
    const connection = await this.connections
      .unscoped('the login routes name the connection, which names its tenant')
      .findOne({ where: { id }, relations: { domains: true } });
    return connection ? withDomainNames(connection) : null;
  }

  /** The connection serving an email domain it verified, whichever tenant it belongs to, or null. */
  async findByDomain(domain: string): Promise<LoadedConnection | null> {
    const row = await this.domains
      .unscoped('discovery by email domain: a verified domain is unique on the instance')
      .findOne({ where: { domain, verifiedAt: Not(IsNull()) } });
    return row ? this.findById(row.connectionId) : null;
  }

  toDto(connection: SsoConnection): SsoConnectionDto {
    return connectionView(this.config.http.publicUrl, connection);
  }

  /**
   * What the old trust vouched for goes: sessions opened through the connection (their access
   * tokens are refused within 10 s through the invalidation bus) and codes not yet redeemed.
   * Linked identities stay; the owner who changed the trust answers for them.
   */
  private async endTrust(connectionId: string): Promise<number> {
    await this.codes.withdrawForConnection(connectionId);
    return this.sessions.revokeAllOfSsoConnection(connectionId, 'sso_trust_changed');
  }

  private async findInTenant(id: string): Promise<SsoConnection> {
    const connection = await this.connections.findById(id, { domains: true });
    if (!connection) throw AppError.notFound();
    return connection;
  }

  private notifyChange(connectionId: string): void {
    for (const listener of this.changeListeners) listener(connectionId);
  }
}

/** Only verified domains speak for the connection: discovery, JIT and linking read these. */
function withDomainNames(connection: SsoConnection): LoadedConnection {
  return Object.assign(connection, {
    domainNames: (connection.domains ?? [])
      .filter((row) => row.verifiedAt !== null)
      .map((row) => row.domain),
  });
}
