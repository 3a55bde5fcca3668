import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import { boundedCache } from '../../common/cache/bounded-cache';
import { SecretBox } from '../../common/crypto/secret-box';
import { OutboundHttp } from '../../common/outbound/outbound-http';
import { OutboundRefusedError } from '../../common/outbound/upstream-http';
import { isLoopbackHttp } from '../connection-settings';
import {
  clientSecretContext,
  type LoadedConnection,
  SsoConnectionsService,
} from '../sso-connections.service';

/** Bound of every request to the IdP (discovery, JWKS, token, userinfo). */
const UPSTREAM_TIMEOUT_MS = 10_000;
const DISCOVERY_CACHE_TTL_MS = 10 * 60_000;
/**
 * A failed discovery is remembered this long: `/login` is public, and each anonymous hit must
 * not make Gatehouse fetch the issuer again (review F5).
 */
const FAILED_DISCOVERY_TTL_MS = 60_000;
/** The endpoints of a discovery document that Gatehouse itself requests. */
const FETCHED_ENDPOINTS = ['token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const;

/**
 * The openid-client configuration of each enterprise OIDC connection. Every request goes through
 * the outbound client as a tenant-configured upstream (address policy, 10 s, 256 kB, no
 * redirects), and ID tokens are checked against the issuer's JWKS
 * (`enableNonRepudiationChecks`), on top of the iss, aud, exp and nonce checks openid-client
 * always makes (SPEC §10).
 */
@Injectable()
export class OidcDiscovery {
  private readonly configurations = boundedCache<string, Promise<client.Configuration>>(1_000, {
    ttl: DISCOVERY_CACHE_TTL_MS,
  });

  constructor(
    private readonly outbound: OutboundHttp,
    private readonly secrets: SecretBox,
    connections: SsoConnectionsService,
  ) {
    connections.onChange((id) => {
      for (const key of this.configurations.keys()) {
        if (key.startsWith(`${id}:`)) this.configurations.delete(key);
      }
    });
  }

  configuration(connection: LoadedConnection): Promise<client.Configuration> {
    // Keyed by the connection's version too: an instance that did not see the change (another
    // instance applied it) still stops using the old issuer or secret at once.
    const key = `${connection.id}:${connection.updatedAt.getTime()}`;
    let pending = this.configurations.get(key);
    if (!pending) {
      pending = this.discover(connection);
      this.configurations.set(key, pending);
      pending.catch(() => {
        if (this.configurations.get(key) === pending) {
          this.configurations.set(key, pending, { ttl: FAILED_DISCOVERY_TTL_MS });
        }
      });
    }
    return pending;
  }

  private async discover(connection: LoadedConnection): Promise<client.Configuration> {
    const settings = connection.oidc;
    if (!settings) throw new Error('Not an OIDC connection');
    const issuer = new URL(settings.issuer);
    const secret = this.secrets.open(
      settings.clientSecretSealed,
      clientSecretContext(connection.id),
    );
    const execute = [client.enableNonRepudiationChecks];
    // Plain http only for an issuer on loopback (a local IdP), as the admin API enforces.
    if (isLoopbackHttp(issuer)) execute.push(client.allowInsecureRequests);
    const configuration = await client.discovery(
      issuer,
      settings.clientId,
      { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' },
      client.ClientSecretBasic(secret),
      {
        [client.customFetch]: this.outbound.fetch('tenant', UPSTREAM_TIMEOUT_MS),
        timeout: UPSTREAM_TIMEOUT_MS / 1000,
        execute,
      },
    );
    await this.checkEndpoints(configuration.serverMetadata());
    return configuration;
  }

  /**
   * The document is the issuer's word, not the admin's: endpoints it names that resolve inside
   * are refused now, so the login stops before a token request is sent there.
   */
  private async checkEndpoints(metadata: client.ServerMetadata): Promise<void> {
    for (const name of FETCHED_ENDPOINTS) {
      const value = metadata[name];
      if (typeof value !== 'string') continue;
      const refusal = await this.outbound.refusal(new URL(value));
      if (refusal) throw new OutboundRefusedError(`The discovered ${name} ${refusal}`);
    }
  }
}
