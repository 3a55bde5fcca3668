import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { AuditVerifyLimiter } from '../../src/audit/audit-verify-limiter';
import { AuditEvent } from '../../src/audit/entities/audit-event.entity';
import { PasswordHasher } from '../../src/auth/passwords/password-hasher.service';
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
        // Verified twice in a row below; the per-tenant limit has a test of its own.
        second.app.get(AuditVerifyLimiter).intervalMs = 1;
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
        // Incremental: only the row added since the last verification is checked.
        expect(again.body).toEqual({ valid: true, checked: 1, firstBrokenId: null });
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('a request still in flight while the server closes has its event stored before the database closes', async () => {
    const database = await durableDatabase();
    try {
      const first = await createTestApp({ database, listen: true });
      const acme = await tenantWithAdmin(first);
      await first.flushAudit();

      // Hold the login inside the app until the shutdown is under way: Nest closes the HTTP
      // server after the `beforeApplicationShutdown` hooks, so this event is recorded after
      // they ran, and before the database closes only if the shutdown waits for it.
      const hasher = first.app.get(PasswordHasher);
      const verify = hasher.verify.bind(hasher);
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      hasher.verify = async (hash, password) => {
        entered();
        await gate;
        return verify(hash, password);
      };
      const login = fetch(`${first.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          tenant: acme.tenant.slug,
          email: acme.admin.email,
          password: 'not the password',
        }),
      });
      await inside;
      const closed = first.close();
      setTimeout(release, 100);
      expect((await login).status).toBe(401);
      await closed;

      const second = await createTestApp({ database });
      try {
        // Read straight from the table: the first app's issuer was its own port, so its tokens
        // are not this app's.
        const stored = await second.app.get(DataSource).getRepository(AuditEvent).findBy({
          tenantId: acme.tenant.id,
          action: 'auth.login',
          outcome: 'failure',
        });
        expect(stored).toHaveLength(1);
        expect(second.logs.join('\n')).not.toContain('could not be written');
        expect(first.logs.join('\n')).not.toContain('could not be written');
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
