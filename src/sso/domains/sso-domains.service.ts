import { Injectable } from '@nestjs/common';
import { type EntityManager, In, IsNull, Not } from 'typeorm';
import { newId } from '../../common/crypto/ids';
import { randomSecret } from '../../common/crypto/tokens';
import {
  InjectTenantRepository,
  type TenantScopedRepository,
} from '../../common/database/tenant-scoped.repository';
import { AppError } from '../../common/errors/app-error';
import { normaliseDomains } from '../connection-settings';
import { SsoConnectionDomain } from '../entities/sso-connection-domain.entity';
import { DnsTxtLookup } from './dns-txt-lookup';

/** Where a tenant publishes the proof that a domain is theirs. */
export function challengeName(domain: string): string {
  return `_gatehouse-challenge.${domain}`;
}

export interface SsoDomainView {
  domain: string;
  status: 'pending' | 'verified';
  txtName: string;
  txtValue: string;
}

export function domainView(row: SsoConnectionDomain): SsoDomainView {
  return {
    domain: row.domain,
    status: row.verifiedAt ? 'verified' : 'pending',
    txtName: challengeName(row.domain),
    txtValue: row.txtValue,
  };
}

/**
 * The email domains of connections and their proof by DNS. A claim proves nothing until the
 * TXT record is found: pending claims neither route logins nor block another tenant, and a
 * domain is verified by one tenant only.
 */
@Injectable()
export class SsoDomainsService {
  constructor(
    private readonly dns: DnsTxtLookup,
    @InjectTenantRepository(SsoConnectionDomain)
    private readonly domains: TenantScopedRepository<SsoConnectionDomain>,
  ) {}

  /** Lower-cased and checked, or 400 naming `domains`. */
  normalise(domains: readonly string[]): string[] {
    try {
      return normaliseDomains(domains);
    } catch (error) {
      throw AppError.validation([{ field: 'domains', message: (error as Error).message }]);
    }
  }

  /**
   * Within the caller's transaction, makes `wanted` the connection's domains. A domain it keeps
   * keeps its row, so its challenge and its proof survive the update.
   */
  async replace(
    manager: EntityManager,
    connection: { id: string; tenantId: string },
    current: readonly SsoConnectionDomain[],
    wanted: readonly string[],
  ): Promise<void> {
    const kept = new Set(current.map((row) => row.domain));
    const added = wanted.filter((domain) => !kept.has(domain));
    const removed = current.filter((row) => !wanted.includes(row.domain));
    await this.assertClaimable(manager, connection, added);
    const domains = this.domains.in(manager);
    if (removed.length > 0) await domains.delete({ id: In(removed.map((row) => row.id)) });
    if (added.length > 0) await domains.insert(added.map((domain) => newClaim(connection, domain)));
  }

  /**
   * Looks up the challenge of every pending domain of the connection and marks those whose
   * record is published; answers the domains verified now. 409 when one of them is verified by
   * another tenant (checked first, whatever DNS says).
   */
  async verify(connection: { id: string; domains?: SsoConnectionDomain[] }): Promise<string[]> {
    const pending = (connection.domains ?? []).filter((row) => row.verifiedAt === null);
    if (pending.length === 0) return [];
    await this.assertNotVerifiedElsewhere(connection.id, pending);
    const published = await Promise.all(
      pending.map((row) => this.dns.txt(challengeName(row.domain))),
    );
    const verified: string[] = [];
    for (const [index, row] of pending.entries()) {
      if (!published[index].includes(row.txtValue)) continue;
      // The partial unique index settles a race between two tenants: the second gets 409.
      const affected = await this.domains.update(
        { id: row.id, verifiedAt: IsNull() },
        { verifiedAt: new Date() },
      );
      if (affected === 1) verified.push(row.domain);
    }
    return verified;
  }

  /** Pending claims of other tenants prove nothing: only a verified one, or the tenant's own, blocks. */
  private async assertClaimable(
    manager: EntityManager,
    connection: { id: string; tenantId: string },
    domains: readonly string[],
  ): Promise<void> {
    if (domains.length === 0) return;
    const rows = await this.domains
      .in(manager)
      .unscoped('a domain is verified by one tenant of the instance only')
      .find({
        where: { domain: In([...domains]), connectionId: Not(connection.id) },
      });
    const taken = rows.find(
      (row) => row.tenantId === connection.tenantId || row.verifiedAt !== null,
    );
    // Which tenant holds it is not said: that would tell one tenant about another's customers.
    if (taken) {
      throw AppError.conflict(
        `The domain ${taken.domain} is already served by a connection.`,
        'domains',
      );
    }
  }

  private async assertNotVerifiedElsewhere(
    connectionId: string,
    pending: readonly SsoConnectionDomain[],
  ): Promise<void> {
    const taken = await this.domains
      .unscoped('a domain is verified by one tenant of the instance only')
      .findOne({
        where: {
          domain: In(pending.map((row) => row.domain)),
          verifiedAt: Not(IsNull()),
          connectionId: Not(connectionId),
        },
      });
    if (taken) {
      throw AppError.conflict(
        `The domain ${taken.domain} is already verified by another connection.`,
        'domains',
      );
    }
  }
}

function newClaim(
  connection: { id: string; tenantId: string },
  domain: string,
): SsoConnectionDomain {
  return Object.assign(new SsoConnectionDomain(), {
    id: newId(),
    connectionId: connection.id,
    tenantId: connection.tenantId,
    domain,
    txtValue: `gatehouse-domain-verification=${randomSecret()}`,
    verifiedAt: null,
  });
}
