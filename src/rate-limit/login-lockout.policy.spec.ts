import { describe, expect, it } from 'vitest';
import { clientLockoutKey, lockoutKey } from './login-lockout.policy';

const attempt = (tenant: string, email: string, ip: string | null) => ({
  input: { tenant, email },
  client: { ip, userAgent: null, requestId: null },
});

describe('lockout keys', () => {
  it('name the (tenant, email) as sent, whatever its case and spaces', () => {
    expect(lockoutKey(attempt(' Acme ', ' Ann@Example.com', null))).toBe(
      lockoutKey(attempt('acme', 'ann@example.com', '198.51.100.7')),
    );
    expect(lockoutKey(attempt('acme', 'bob@example.com', null))).not.toBe(
      lockoutKey(attempt('acme', 'ann@example.com', null)),
    );
  });

  it('give each client address its own counter for the same (tenant, email)', () => {
    const a = clientLockoutKey(attempt('acme', 'ann@example.com', '198.51.100.7'));
    expect(clientLockoutKey(attempt('ACME', ' ann@example.com ', '198.51.100.7'))).toBe(a);
    expect(clientLockoutKey(attempt('acme', 'ann@example.com', '198.51.100.8'))).not.toBe(a);
    expect(a).not.toBe(lockoutKey(attempt('acme', 'ann@example.com', '198.51.100.7')));
    // No tenant slug or email can be made to collide with another by carrying a newline.
    expect(clientLockoutKey(attempt('acme', 'ann@example.com\n1', '2'))).not.toBe(
      clientLockoutKey(attempt('acme', 'ann@example.com', '1\n2')),
    );
  });
});
