import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { newId } from '../common/crypto/ids';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal/principal';
import { rulesOfRole } from '../auth/principal/principal.service';
import { randomSecret, sha256Hex } from '../common/crypto/tokens';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError, type FieldError } from '../common/errors/app-error';
import { definedKeys } from '../common/http/defined-keys';
import { type PageQueryDto, paginate } from '../common/pagination/pagination';
import { IfMatch } from '../common/http/if-match';
import { whereAccessible } from '../roles/accessible-query';
import { Role } from '../roles/entities/role.entity';
import { assertGrantable } from '../roles/privilege';
import {
  type CreateOAuthClientDto,
  OAuthClientDto,
  type OAuthClientListDto,
  type OAuthClientWithSecretDto,
  type UpdateOAuthClientDto,
} from './dto/oauth-client.dto';
import { OAuthClient, type OAuthGrantType } from './entities/oauth-client.entity';
import { OAuthClientDirectory } from './oauth-client-directory.service';
import { OAuthGrantsService } from './grants/oauth-grants.service';
import { OWNER_LEVEL_CLIENT_FIELDS } from './oauth.permissions';

const SUBJECT = 'OAuthClient';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why a redirect URI is refused, or null when it is acceptable: absolute, no fragment, no
 * credentials, and https — or plain http on a loopback address (RFC 8252 §7.3), since a
 * code sent over the network in clear text can be stolen.
 */
export function redirectUriProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return 'must use https (http only on 127.0.0.1, [::1] or localhost)';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

/** A public client identifier: 128 random bits, unlike a UUID so the two are never confused. */
function newClientId(): string {
  return `gh_${randomBytes(16).toString('base64url')}`;
}

/** Registration and management of OAuth clients, tenant by tenant (`/v1/oauth/clients`). */
@Injectable()
export class OAuthClientsService {
  constructor(
    @InjectTenantRepository(OAuthClient)
    private readonly clients: TenantScopedRepository<OAuthClient>,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
    private readonly directory: OAuthClientDirectory,
    private readonly grants: OAuthGrantsService,
    private readonly audit: AuditService,
  ) {}

  async create(auth: Principal, input: CreateOAuthClientDto): Promise<OAuthClientWithSecretDto> {
    const postLogoutRedirectUris = input.postLogoutRedirectUris ?? [];
    const roleIds = input.roleIds ?? [];
    this.assertConsistent(input.type, input.grantTypes, input.redirectUris, postLogoutRedirectUris);
    await this.assertRolesGrantable(auth, roleIds);
    const secret = input.type === 'confidential' ? randomSecret() : null;
    const now = new Date();
    const client = this.clients.create({
      id: newId(),
      clientId: newClientId(),
      name: input.name,
      type: input.type,
      redirectUris: input.redirectUris,
      postLogoutRedirectUris,
      grantTypes: input.grantTypes,
      scopes: input.scopes,
      roleIds,
      skipConsent: input.skipConsent ?? false,
      secretHash: secret === null ? null : sha256Hex(secret),
      secretRotatedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    auth.permissions.assert('create', SUBJECT, client);
    if (client.skipConsent) this.assertField(auth, 'create', client, 'skipConsent');
    await this.clients.insert(client);
    this.record('oauth.client.created', auth, client, {
      type: client.type,
      grantTypes: client.grantTypes,
      scopes: client.scopes,
    });
    return { ...OAuthClientDto.from(client), ...(secret === null ? {} : { clientSecret: secret }) };
  }

  async list(auth: Principal, query: PageQueryDto): Promise<OAuthClientListDto> {
    const { rows, nextCursor } = await paginate(
      whereAccessible(
        this.clients.queryBuilder('client'),
        'client',
        auth.permissions,
        'read',
        SUBJECT,
      ),
      query,
    );
    return { items: rows.map((client) => OAuthClientDto.from(client)), nextCursor };
  }

  async get(auth: Principal, id: string): Promise<OAuthClientDto> {
    const client = await this.load(id);
    auth.permissions.assert('read', SUBJECT, client);
    return OAuthClientDto.from(client);
  }

  async update(
    auth: Principal,
    id: string,
    input: UpdateOAuthClientDto,
    ifMatch = IfMatch.ABSENT,
  ): Promise<OAuthClientDto> {
    const client = await this.load(id);
    const changed = definedKeys(input);
    auth.permissions.assert('update', SUBJECT, client);
    for (const field of changed) this.assertField(auth, 'update', client, field);
    // A client that skips consent gets every scope it has without asking: widening them is
    // as much the owner's decision as skipping consent was.
    const widened = (input.scopes ?? []).some((scope) => !client.scopes.includes(scope));
    if (client.skipConsent && widened) this.assertField(auth, 'update', client, 'skipConsent');
    const next = {
      name: input.name ?? client.name,
      redirectUris: input.redirectUris ?? client.redirectUris,
      // null clears a list (JSON Merge Patch); undefined keeps it.
      postLogoutRedirectUris:
        input.postLogoutRedirectUris === null
          ? []
          : (input.postLogoutRedirectUris ?? client.postLogoutRedirectUris),
      grantTypes: input.grantTypes ?? client.grantTypes,
      scopes: input.scopes ?? client.scopes,
      roleIds: input.roleIds === null ? [] : (input.roleIds ?? client.roleIds),
      skipConsent: input.skipConsent ?? client.skipConsent,
    };
    this.assertConsistent(
      client.type,
      next.grantTypes,
      next.redirectUris,
      next.postLogoutRedirectUris,
    );
    if (input.roleIds !== undefined) await this.assertRolesGrantable(auth, next.roleIds);
    const guard = ifMatch.check(client.version);
    const redirected = !sameSet(next.redirectUris, client.redirectUris);
    const updatedAt = new Date();
    guard.settle(await this.clients.update(guard.where({ id: client.id }), { ...next, updatedAt }));
    this.directory.forget(client.clientId);
    const updated = Object.assign(client, next, { updatedAt, version: guard.next });
    this.record('oauth.client.updated', auth, updated, { fields: changed });
    // Codes and tokens were granted to whoever stood behind the old URIs: they are not the
    // new ones' to keep (nor is the consent the users gave).
    if (redirected) {
      await this.grants.revokeGrantsOfClient(auth.tenant.id, client, 'redirect_uris_changed');
    }
    return OAuthClientDto.from(updated);
  }

  async remove(auth: Principal, id: string): Promise<void> {
    const client = await this.load(id);
    auth.permissions.assert('delete', SUBJECT, client);
    await this.clients.delete({ id: client.id });
    // Its grants and tokens die with it: the token endpoint no longer finds the client, and
    // the access-token check refuses tokens of a client that is gone.
    this.directory.forget(client.clientId);
    await this.grants.revokeGrantsOfClient(auth.tenant.id, client, 'client_deleted');
    this.record('oauth.client.deleted', auth, client, {});
  }

  /** A new secret, shown once; tokens issued before it stop working. */
  async rotateSecret(auth: Principal, id: string): Promise<OAuthClientWithSecretDto> {
    const client = await this.load(id);
    auth.permissions.assert('update', SUBJECT, client);
    if (client.type !== 'confidential') {
      throw AppError.validation(
        [{ field: 'type', message: 'public clients have no secret' }],
        'A public client has no secret to rotate.',
      );
    }
    const secret = randomSecret();
    const now = new Date();
    await this.clients.update(
      { id: client.id },
      { secretHash: sha256Hex(secret), secretRotatedAt: now, updatedAt: now },
    );
    this.directory.forget(client.clientId);
    const updated = Object.assign(client, { updatedAt: now, version: client.version + 1 });
    this.record('oauth.client.secret_rotated', auth, updated, {});
    return { ...OAuthClientDto.from(updated), clientSecret: secret };
  }

  /**
   * One field of a client, checked against the caller's rules. Owner-level fields in the root
   * tenant also need `manage Platform`: there they are the whole instance's trust settings.
   */
  private assertField(
    auth: Principal,
    action: 'create' | 'update',
    client: OAuthClient,
    field: string,
  ): void {
    auth.permissions.assert(action, SUBJECT, client, field);
    if (auth.tenant.isRoot && OWNER_LEVEL_CLIENT_FIELDS.includes(field)) {
      auth.permissions.assert('manage', 'Platform', {});
    }
  }

  private async load(id: string): Promise<OAuthClient> {
    // The tenant is part of the query: another tenant's client is indistinguishable from none.
    const client = await this.clients.findById(id);
    if (!client) throw AppError.notFound('The OAuth client does not exist.');
    return client;
  }

  private assertConsistent(
    type: OAuthClient['type'],
    grantTypes: readonly OAuthGrantType[],
    redirectUris: readonly string[],
    postLogoutRedirectUris: readonly string[],
  ): void {
    const errors: FieldError[] = [];
    redirectUris.forEach((uri, index) => {
      const problem = redirectUriProblem(uri);
      if (problem) errors.push({ field: `redirectUris.${index}`, message: problem });
    });
    postLogoutRedirectUris.forEach((uri, index) => {
      const problem = redirectUriProblem(uri);
      if (problem) errors.push({ field: `postLogoutRedirectUris.${index}`, message: problem });
    });
    if (type === 'public' && grantTypes.includes('client_credentials')) {
      errors.push({
        field: 'grantTypes',
        message: 'client_credentials needs a confidential client',
      });
    }
    if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
      errors.push({ field: 'redirectUris', message: 'authorization_code needs a redirect URI' });
    }
    if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
      errors.push({
        field: 'grantTypes',
        message: 'refresh_token comes only with authorization_code',
      });
    }
    if (errors.length > 0) throw AppError.validation(errors);
  }

  /** The client's roles must be the tenant's, and the caller must hold every rule of them. */
  private async assertRolesGrantable(auth: Principal, roleIds: readonly string[]): Promise<void> {
    if (roleIds.length === 0) return;
    const roles = await this.roles.find({ where: { id: In([...roleIds]) } });
    if (roles.length !== roleIds.length) {
      throw AppError.validation([
        { field: 'roleIds', message: 'names a role that does not exist' },
      ]);
    }
    assertGrantable(auth, roles.flatMap(rulesOfRole));
  }

  private record(
    action: string,
    auth: Principal,
    client: OAuthClient,
    metadata: Record<string, unknown>,
  ): void {
    this.audit.record({
      action,
      outcome: 'success',
      tenantId: auth.tenant.id,
      target: { type: 'oauth_client', id: client.id },
      metadata: { clientId: client.clientId, ...metadata },
    });
  }
}
