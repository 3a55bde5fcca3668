import { describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy';

describe('AddressPolicy', () => {
  const strict = new AddressPolicy({ privateAllowlist: [], allowLoopback: false });

  it('lets public unicast addresses through', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) {
      expect(strict.refusal('idp.example.com', address), address).toBeNull();
    }
  });

  it('refuses private, loopback, link-local, CGNAT, ULA, multicast, unspecified and reserved', () => {
    for (const address of [
      '10.0.3.7',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '::1',
      '169.254.169.254',
      'fe80::1',
      '100.64.0.1',
      'fd00::1',
      '224.0.0.1',
      'ff02::1',
      '0.0.0.0',
      '::',
      '255.255.255.255',
      '192.0.2.1',
      // IPv4 carried in IPv6 (mapped, 6to4, NAT64) is judged as, or refused with, what it carries.
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '2002:a00:1::',
      '64:ff9b::a00:1',
    ]) {
      expect(strict.refusal('idp.example.com', address), address).not.toBeNull();
    }
    expect(strict.refusal('x', 'not-an-ip')).toBe('not an IP address');
  });

  it('allows loopback only when told (outside production)', () => {
    const development = new AddressPolicy({ privateAllowlist: [], allowLoopback: true });
    expect(development.refusal('localhost', '127.0.0.1')).toBeNull();
    expect(development.refusal('localhost', '::1')).toBeNull();
    expect(development.refusal('x', '10.0.0.1')).not.toBeNull();
  });

  it('opens what UPSTREAM_PRIVATE_ALLOWLIST names: hosts, addresses and CIDRs, nothing else', () => {
    const policy = new AddressPolicy({
      privateAllowlist: ['IdP.Corp.Internal', '10.20.0.0/16', '[fd00::7]', '192.168.1.5'],
      allowLoopback: false,
    });
    expect(policy.refusal('idp.corp.internal.', '10.99.0.1')).toBeNull();
    expect(policy.refusal('other.corp.internal', '10.99.0.1')).not.toBeNull();
    expect(policy.refusal('x', '10.20.3.4')).toBeNull();
    expect(policy.refusal('x', '::ffff:10.20.3.4')).toBeNull();
    expect(policy.refusal('x', '10.21.0.1')).not.toBeNull();
    expect(policy.refusal('x', 'fd00::7')).toBeNull();
    expect(policy.refusal('x', 'fd00::8')).not.toBeNull();
    expect(policy.refusal('x', '192.168.1.5')).toBeNull();
    expect(policy.refusal('x', '127.0.0.1')).not.toBeNull();
  });
});
