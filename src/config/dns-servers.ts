import { isIPv4, isIPv6 } from 'node:net';

/**
 * Whether a `DNS_SERVERS` entry is what `Resolver.setServers` takes: an IP address (no host
 * name: resolving the resolver would need a resolver), with an optional port, IPv6 in brackets
 * when a port follows.
 */
export function isDnsServer(entry: string): boolean {
  const bracketed = /^\[([0-9A-F:.]+)\](?::(\d{1,5}))?$/i.exec(entry);
  if (bracketed) return isIPv6(bracketed[1]) && validPort(bracketed[2]);
  if (isIPv6(entry)) return true;
  const v4 = /^([\d.]{7,15})(?::(\d{1,5}))?$/.exec(entry);
  return v4 !== null && isIPv4(v4[1]) && validPort(v4[2]);
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}
