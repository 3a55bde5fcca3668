import ipaddr from 'ipaddr.js';
import type { OutboundConfig } from '../../config/config.types';
import { type Cidr, parseAllowlistEntry } from '../../config/upstream-allowlist';

/** The only range of ipaddr.js's classification that is the public internet. */
const PUBLIC_RANGE = 'unicast';

/**
 * Where a tenant-configured URL may lead (SPEC §14): public unicast addresses; loopback only
 * when `allowLoopback` (never in production); and what the operator opened with
 * `UPSTREAM_PRIVATE_ALLOWLIST` (host names, addresses or CIDRs). Everything else ipaddr.js
 * classifies (private, link-local with 169.254.169.254, CGNAT, ULA, multicast, unspecified,
 * broadcast, reserved, 6to4/NAT64 that could carry a private IPv4) is refused.
 */
export class AddressPolicy {
  private readonly hosts = new Set<string>();
  private readonly cidrs: Cidr[] = [];

  constructor(private readonly settings: OutboundConfig) {
    for (const raw of settings.privateAllowlist) {
      const entry = parseAllowlistEntry(raw);
      if (entry && 'cidr' in entry) this.cidrs.push(entry.cidr);
      else if (entry) this.hosts.add(entry.host);
    }
  }

  /**
   * Why `address` (what `host` resolved to) must not be dialled, or null when it may be.
   * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
   */
  refusal(host: string, address: string): string | null {
    if (!ipaddr.isValid(address)) return 'not an IP address';
    let ip = ipaddr.parse(address);
    if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
    const range = ip.range();
    if (range === PUBLIC_RANGE) return null;
    if (range === 'loopback' && this.settings.allowLoopback) return null;
    if (this.hosts.has(host.toLowerCase().replace(/\.$/, ''))) return null;
    const kind = ip.kind();
    if (this.cidrs.some(([base, bits]) => base.kind() === kind && ip.match(base, bits))) {
      return null;
    }
    return `${range} address`;
  }
}
