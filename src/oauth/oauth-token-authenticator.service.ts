import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { Principal } from '../auth/principal/principal';
import {
  PRINCIPAL_CACHE_TTL_MS,
  PrincipalService,
  rulesOfRole,
  tenantSummary,
} from '../auth/principal/principal.service';
import type { AccessTokenClaims } from '../auth/tokens/access-token-claims';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { TenantScope } from '../common/database/tenant-scope';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../common/database/tenant-scoped.repository';
import { AppError } from '../common/errors/app-error';
import { buildAbility, Permissions, scopeRules } from '../roles/ability.factory';
import { Role } from '../roles/entities/role.entity';
import { TenantDirectory } from '../tenants/tenant-directory.service';
import type { OAuthClient } from './entities/oauth-client.entity';
import { OAuthClientDirectory } from './oauth-client-directory.service';
import { OidcArtifactStore } from './provider/oidc-artifact-store.service';
import { boundedCache } from '../common/cache/bounded-cache';

interface TokenState {
  valid: boolean;
  grantId: string | null;
}

const INVALID = 'The access token is not valid.';

/**
 * Turns an access token of the authorization server into a principal for `/v1` routes.
 *
 * A user's token is good while its grant is: its record and grant are read at most once per
 * cache period (5 s, and dropped at once on every instance when the grant is revoked), so a
 * revoked grant, a replayed code or refresh token, a deleted client or a rotated secret end
 * the token within 10 s without a database round trip per request. What it may do is the
 * user's own permissions cut down to the token's scopes. A client-credentials token (`sub` is
 * the client) acts as the client: the rules of the client's roles, cut down to the scopes.
 */
@Injectable()
export class OAuthTokenAuthenticator {
  private readonly tokens = boundedCache<string, TokenState>(100_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });
  private readonly clientPrincipals = boundedCache<string, Principal>(10_000, {
    ttl: PRINCIPAL_CACHE_TTL_MS,
  });

  constructor(
    private readonly clients: OAuthClientDirectory,
    private readonly store: OidcArtifactStore,
    private readonly principals: PrincipalService,
    private readonly tenants: TenantDirectory,
    private readonly scope: TenantScope,
    @InjectTenantRepository(Role) private readonly roles: TenantScopedRepository<Role>,
    bus: InvalidationBus,
  ) {
    bus.on('oauth-grant', (grantId) => {
      for (const [jti, state] of this.tokens.entries()) {
        if (state.grantId === grantId) this.tokens.delete(jti);
      }
    });
    clients.onForget((clientId) => {
      for (const key of [...this.clientPrincipals.keys()]) {
        if (key.startsWith(`${clientId} `)) this.clientPrincipals.delete(key);
      }
    });
  }

  async authenticate(claims: AccessTokenClaims): Promise<Principal> {
    const clientId = claims.client_id;
    if (!clientId) throw AppError.invalidToken(INVALID);
    const client = await this.clients.findByClientId(clientId);
    if (!client || client.tenantId !== claims.tid) throw AppError.invalidToken(INVALID);
    if (
      client.secretRotatedAt &&
      claims.iat < Math.floor(client.secretRotatedAt.getTime() / 1000)
    ) {
      throw AppError.invalidToken('The access token was issued before the client secret changed.');
    }
    // Scopes the client has since lost (its registration was narrowed) no longer count.
    const scopes = (claims.scope ? claims.scope.split(' ') : []).filter((scope) =>
      client.scopes.includes(scope),
    );
    if (claims.sub === clientId) return this.clientPrincipal(client, scopes);

    const state = await this.tokenState(claims.jti, claims.sub, clientId);
    if (!state.valid) throw AppError.invalidToken('The access token has been revoked.');
    const context = await this.principals.userContext(claims.sub);
    if (!context || context.tenant.id !== claims.tid) throw AppError.invalidToken(INVALID);
    return this.principals.forUser(context, { sessionId: null, scopes });
  }

  private async tokenState(jti: string, sub: string, clientId: string): Promise<TokenState> {
    const cached = this.tokens.get(jti);
    if (cached) return cached;
    const found = await this.store.accessTokenState(jti);
    const state: TokenState =
      found && found.accountId === sub && found.clientId === clientId
        ? { valid: true, grantId: found.grantId }
        : { valid: false, grantId: found?.grantId ?? null };
    this.tokens.set(jti, state);
    return state;
  }

  private async clientPrincipal(client: OAuthClient, scopes: string[]): Promise<Principal> {
    if (!client.grantTypes.includes('client_credentials')) throw AppError.invalidToken(INVALID);
    const key = `${client.clientId} ${[...scopes].sort().join(' ')}`;
    const cached = this.clientPrincipals.get(key);
    if (cached) return cached;
    const tenant = await this.tenants.findById(client.tenantId);
    if (!tenant || tenant.status !== 'active') throw AppError.invalidToken(INVALID);
    // No principal yet (this is where it comes from): the tenant is the token's client's.
    const roles =
      client.roleIds.length > 0
        ? await this.scope.run(tenant.id, () =>
            this.roles.find({ where: { id: In(client.roleIds) } }),
          )
        : [];
    roles.sort((a, b) => a.name.localeCompare(b.name));
    // The scopes bound what the client may grant as well as what it may do.
    const rules = scopeRules(roles.flatMap(rulesOfRole), scopes);
    const principal: Principal = {
      type: 'client',
      id: client.id,
      tenant: tenantSummary(tenant),
      userId: null,
      sessionId: null,
      scopes,
      roles: roles.map((role) => ({ id: role.id, name: role.name })),
      ruleSets: [rules],
      permissions: new Permissions([
        buildAbility(rules, {
          tenantId: tenant.id,
          tenantIsRoot: tenant.isRoot,
          userId: null,
          scopes: null,
        }),
      ]),
    };
    this.clientPrincipals.set(key, principal);
    return principal;
  }
}
