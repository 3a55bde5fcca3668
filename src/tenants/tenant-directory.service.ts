import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { Tenant } from './entities/tenant.entity';
import { boundedCache } from '../common/cache/bounded-cache';

const TTL_MS = 5_000;

/**
 * Finds tenants by slug for the public routes (login, register, social start), which name
 * their tenant in the request. Entries live a few seconds and are dropped on any change.
 */
@Injectable()
export class TenantDirectory {
  private readonly bySlug = boundedCache<string, Tenant | 'missing'>(10_000, { ttl: TTL_MS });

  constructor(
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    bus: InvalidationBus,
  ) {
    bus.on('tenant', (tenantId) => {
      for (const [slug, tenant] of this.bySlug.entries()) {
        if (tenant === 'missing' || tenant.id === tenantId) this.bySlug.delete(slug);
      }
    });
  }

  async findBySlug(slug: string): Promise<Tenant | null> {
    const key = slug.toLowerCase();
    const cached = this.bySlug.get(key);
    if (cached) return cached === 'missing' ? null : cached;
    const tenant = await this.tenants.findOne({ where: { slug: key } });
    this.bySlug.set(key, tenant ?? 'missing');
    return tenant;
  }

  findById(id: string): Promise<Tenant | null> {
    return this.tenants.findOne({ where: { id } });
  }
}
