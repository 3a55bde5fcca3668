import { describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { bearer, uniqueEmail } from '../factories';
import { createTestApp } from '../support/app';
import { auditEvents, durableDatabase, tenantWithAdmin } from './helpers';

describe('audit durability', () => {
  it('nothing buffered is lost on graceful shutdown: a restarted app finds every event', async () => {
    const database = await durableDatabase();
    try {
      const first = await createTestApp({ database });
      const acme = await tenantWithAdmin(first);
      const audit = first.app.get(AuditService);
      await first.flushAudit();

      // Hold writes back so that the events are certainly still buffered when the app closes.
      const flush = audit.flush.bind(audit);
      audit.flush = () => Promise.resolve();
      const emails = Array.from({ length: 25 }, () => uniqueEmail('shutdown'));
      for (const email of emails) {
        const res = await first
          .http()
          .post('/v1/auth/login')
          .send({ tenant: acme.tenant.slug, email, password: 'not the password' });
        expect(res.status).toBe(401);
      }
      expect(audit.pending).toBe(25);
      audit.flush = flush;
      await first.close();
      expect(audit.pending).toBe(0);

      const second = await createTestApp({ database });
      try {
        const events = await auditEvents(second, acme.admin.accessToken, {
          action: 'auth.login',
          outcome: 'failure',
        });
        expect(events).toHaveLength(25);
        const verify = await second
          .http()
          .get('/v1/audit-events/verify')
          .set(bearer(acme.admin.accessToken));
        expect(verify.body).toEqual({ valid: true, checked: 26, firstBrokenId: null });
        // The chain goes on where it stopped.
        await second
          .http()
          .post('/v1/auth/login')
          .send({ tenant: acme.tenant.slug, email: emails[0], password: 'still not it' });
        await second.flushAudit();
        const again = await second
          .http()
          .get('/v1/audit-events/verify')
          .set(bearer(acme.admin.accessToken));
        expect(again.body).toEqual({ valid: true, checked: 27, firstBrokenId: null });
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
