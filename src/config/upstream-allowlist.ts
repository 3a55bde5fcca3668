import ipaddr from 'ipaddr.js';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
export type AllowlistEntry = { cidr: Cidr } | { host: string };

const HOST_PATTERN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * An `UPSTREAM_PRIVATE_ALLOWLIST` entry: a CIDR (`10.0.0.0/8`, `fd00::/8`), an address (a /32
 * or /128, IPv6 bracketed or not) or a host name (lower-cased); null when it is none of these.
 */
export function parseAllowlistEntry(entry: string): AllowlistEntry | null {
  const value = entry.trim().replace(/^\[(.*)\]$/, '$1');
  try {
    if (value.includes('/')) return { cidr: ipaddr.parseCIDR(value) };
    if (ipaddr.isValid(value)) {
      const ip = ipaddr.parse(value);
      return { cidr: [ip, ip.kind() === 'ipv4' ? 32 : 128] };
    }
  } catch {
    return null;
  }
  const host = value.toLowerCase().replace(/\.$/, '');
  return HOST_PATTERN.test(host) && !/^[\d.]+$/.test(host) ? { host } : null;
}
