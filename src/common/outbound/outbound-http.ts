import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type * as client from 'openid-client';
import { Agent, buildConnector } from 'undici';
import { AppConfig } from '../../config/app-config';
import { AddressPolicy } from './address-policy';
import { boundedFetch, OutboundRefusedError } from './upstream-http';

/** A bound on each DNS lookup (the login or the admin waits on it). */
const DNS_TIMEOUT_MS = 2_000;
const DNS_TRIES = 2;

/** Who configured the URL: a tenant admin (address policy applies) or the operator (trusted). */
export type UpstreamTrust = 'tenant' | 'operator';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * The one outbound HTTP client (SPEC §14). Tenant-configured URLs (enterprise OIDC discovery,
 * token, userinfo, JWKS) go through an undici agent whose connector resolves the host itself
 * (through `DNS_SERVERS` when set) and refuses to dial an address the policy refuses: the
 * address checked is the address dialled, so DNS rebinding has no gap, and the socket's
 * remote address is checked again once connected. Operator-configured providers
 * (`GOOGLE_ISSUER`, `OIDC_PROVIDERS`, GitHub) are trusted as configured; both get timeouts,
 * the 256 kB body cap and no redirects (`boundedFetch`).
 */
@Injectable()
export class OutboundHttp implements OnModuleDestroy {
  private readonly policy: AddressPolicy;
  private readonly resolver: Resolver | null;
  private readonly guarded: Agent;

  constructor(config: AppConfig) {
    this.policy = new AddressPolicy(config.outbound);
    this.resolver =
      config.dns.servers.length > 0
        ? new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES })
        : null;
    this.resolver?.setServers([...config.dns.servers]);
    const connector = buildConnector({ lookup: this.lookup });
    this.guarded = new Agent({
      connect: (options, callback) => {
        const host = unbracket(options.hostname);
        // An address literal is dialled without a lookup: judge it here, before dialling.
        const refusal = isIP(host) ? this.policy.refusal(host, host) : null;
        if (refusal) return callback(refused(host, refusal), null);
        connector(options, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error('No socket'), null);
          const denied = this.remoteRefusal(host, socket);
          if (denied) {
            socket.destroy();
            return callback(denied, null);
          }
          callback(null, socket);
        });
      },
    });
  }

  /** The fetch for openid-client (`customFetch`) and provider APIs. */
  fetch(trust: UpstreamTrust, timeoutMs: number): client.CustomFetch {
    return boundedFetch(timeoutMs, trust === 'tenant' ? this.guarded : undefined);
  }

  /**
   * Why a tenant-configured URL's host must not be reached, or null. For answers at
   * configuration time and for the endpoints a discovery document names: a name that does not
   * resolve now passes (DNS may not be set up yet, and it proves nothing either way), because
   * the connector checks again, on the address dialled, at every request.
   */
  async refusal(url: URL): Promise<string | null> {
    const host = unbracket(url.hostname);
    if (isIP(host)) {
      const reason = this.policy.refusal(host, host);
      return reason && `points at a ${reason}`;
    }
    let addresses: LookupAddress[];
    // The system resolver has no bound of its own, and an admin waits on this answer.
    const bound = new AbortController();
    const timeout = sleep(DNS_TIMEOUT_MS * DNS_TRIES, undefined, { signal: bound.signal }).then(
      () => Promise.reject(new Error('DNS lookup timed out')),
    );
    timeout.catch(() => undefined);
    try {
      addresses = await Promise.race([this.resolve(host), timeout]);
    } catch {
      return null;
    } finally {
      bound.abort();
    }
    for (const { address } of addresses) {
      const reason = this.policy.refusal(host, address);
      if (reason) return `resolves to a ${reason}`;
    }
    return null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.guarded.close();
  }

  /**
   * What net/tls.connect uses to resolve the host: every address of the name must pass the
   * policy (a name that also points inside is no public IdP), and only those are dialled.
   */
  private readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: LookupCallback,
  ): void => {
    this.resolve(hostname).then(
      (found) => {
        const family = Number(options.family) || 0;
        const addresses = found.filter((entry) => family === 0 || entry.family === family);
        for (const { address } of addresses) {
          const reason = this.policy.refusal(hostname, address);
          if (reason) return callback(refused(hostname, reason), []);
        }
        if (addresses.length === 0) {
          return callback(
            Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }),
            [],
          );
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };

  private async resolve(hostname: string): Promise<LookupAddress[]> {
    // `localhost` is loopback by definition (RFC 6761 §6.3), whatever a DNS server says.
    if (!this.resolver || hostname === 'localhost') {
      return new Promise((resolve, reject) =>
        systemLookup(hostname, { all: true }, (error, addresses) =>
          error ? reject(error) : resolve(addresses),
        ),
      );
    }
    const [v4, v6] = await Promise.allSettled([
      this.resolver.resolve4(hostname),
      this.resolver.resolve6(hostname),
    ]);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (addresses.length === 0 && v4.status === 'rejected') throw v4.reason;
    return addresses;
  }

  private remoteRefusal(host: string, socket: Socket): OutboundRefusedError | null {
    const remote = socket.remoteAddress;
    if (!remote) return null;
    const reason = this.policy.refusal(host, remote);
    return reason ? refused(host, reason) : null;
  }
}

function refused(host: string, reason: string): OutboundRefusedError {
  return new OutboundRefusedError(`${host} is not reachable from here: ${reason}`);
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
