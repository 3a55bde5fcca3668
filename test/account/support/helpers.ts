import { generateSync } from 'otplib';
import { DataSource } from 'typeorm';
import { expect } from 'vitest';
import type { TestApp } from '../../support/app';
import { selectRows } from '../../support/sql';

export interface AuditRow {
  action: string;
  outcome: string;
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  metadata: Record<string, unknown>;
}

/** Audit events of an action about one target, oldest first, once the buffer is written. */
export async function auditEvents(
  t: TestApp,
  action: string,
  targetId: string,
): Promise<AuditRow[]> {
  await t.flushAudit();
  const rows = await selectRows(t, 'audit_events', 'action = :action AND target_id = :targetId', {
    action,
    targetId,
  });
  return rows
    .sort((a, b) => String(a.id).localeCompare(String(b.id)))
    .map((row) => ({
      action: String(row.action),
      outcome: String(row.outcome),
      tenantId: (row.tenant_id as string | null) ?? null,
      actorType: String(row.actor_type),
      actorId: (row.actor_id as string | null) ?? null,
      targetType: (row.target_type as string | null) ?? null,
      targetId: (row.target_id as string | null) ?? null,
      metadata:
        typeof row.metadata === 'string'
          ? (JSON.parse(row.metadata) as Record<string, unknown>)
          : ((row.metadata as Record<string, unknown>) ?? {}),
    }));
}

/** No secret of the test (token, code, password, TOTP secret) in any log line of the app. */
export function expectNoSecretsInLogs(t: TestApp, secrets: readonly string[]): void {
  const logs = t.logs.join('\n');
  for (const secret of secrets) {
    expect(secret.length, 'a secret to look for').toBeGreaterThan(5);
    if (logs.includes(secret)) {
      const line = t.logs.find((l) => l.includes(secret)) ?? '';
      throw new Error(`A secret appears in the logs: ${line.slice(0, 300)}`);
    }
  }
}

/** The TOTP code of a secret, `offsetSteps` periods from now. */
export function totp(secret: string, offsetSteps = 0): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

/** Plays the database administrator: forgets the last TOTP step a user used. */
export async function forgetTotpSteps(t: TestApp, userId: string): Promise<void> {
  await t.app
    .get(DataSource)
    .createQueryBuilder()
    .update('user_mfa_states')
    .set({ lastTimeStep: null })
    .where('user_id = :userId', { userId })
    .execute();
}

/**
 * Turns TOTP on for the holder of `accessToken` through the API (enroll, then confirm with a
 * real code) and answers the secret with the recovery codes.
 */
export async function enrolTotp(
  t: TestApp,
  accessToken: string,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const headers = { Authorization: `Bearer ${accessToken}` };
  const enrolled = await t.http().post('/v1/auth/mfa/totp/enroll').set(headers);
  expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
  const secret = enrolled.body.secret as string;
  const confirmed = await t
    .http()
    .post('/v1/auth/mfa/totp/confirm')
    .set(headers)
    .send({ code: totp(secret) });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}
