import { Resolver } from 'node:dns/promises';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';

/** A bound on each lookup: an admin waits on it, and a dead server must not hold the request. */
const TIMEOUT_MS = 2_000;
const TRIES = 2;

/** TXT lookups for domain verification, through `DNS_SERVERS` when set, else the system's. */
@Injectable()
export class DnsTxtLookup {
  private readonly logger = new Logger(DnsTxtLookup.name);
  private readonly resolver: Resolver;

  constructor(config: AppConfig) {
    this.resolver = new Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
    if (config.dns.servers.length > 0) this.resolver.setServers([...config.dns.servers]);
  }

  /**
   * The TXT records at `name`, each one's strings joined (a long value is split into 255-byte
   * strings, RFC 7208 §3.3). Empty when the name has none or DNS fails: the caller then leaves
   * the domain unproven, which is safe whatever went wrong.
   */
  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((strings) => strings.join(''));
    } catch (error) {
      this.logger.debug(
        `TXT lookup of ${name} failed: ${(error as { code?: string }).code ?? 'error'}`,
      );
      return [];
    }
  }
}
