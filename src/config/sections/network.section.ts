import type { DnsConfig } from '../config.types';
import { isDnsServer } from '../dns-servers';
import { EnvList } from '../env-decorators';
import { parseAllowlistEntry } from '../upstream-allowlist';

/** The resolver of the app, and the private hosts tenant-configured URLs may reach. */
export class NetworkVariables {
  /** For domain-verification TXT lookups and the outbound client; empty: the system's. */
  @EnvList({
    valid: isDnsServer,
    expected: 'must be an IP address with an optional port, like 10.0.0.2:53 or [fd00::2]:53',
  })
  DNS_SERVERS: string[] = [];

  @EnvList({
    valid: (entry) => parseAllowlistEntry(entry) !== null,
    expected: 'must be a host name, an IP address or a CIDR like 10.0.0.0/8',
  })
  UPSTREAM_PRIVATE_ALLOWLIST: string[] = [];
}

export function toDnsConfig(vars: NetworkVariables): DnsConfig {
  return { servers: vars.DNS_SERVERS };
}
