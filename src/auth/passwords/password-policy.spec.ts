import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy';

describe('passwordProblem (NIST 800-63B)', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull();
    expect(passwordProblem('alllowercaseletters')).toBeNull();
  });

  it('refuses fewer than 8 and more than 128 characters, counting code points', () => {
    expect(passwordProblem('Ab1!xyz')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(129))).toMatch(/at most 128/);
    expect(passwordProblem('x'.repeat(128))).toBeNull();
    // Four emoji are eight UTF-16 units but four characters.
    expect(passwordProblem('😀😀😀😀')).toMatch(/at least 8/);
  });

  it('refuses passwords from the shipped common list, whatever their case', () => {
    for (const common of [
      'password',
      'PASSWORD',
      '12345678',
      'qwertyuiop',
      'iloveyou1',
      'sunshine',
    ]) {
      expect(passwordProblem(common)).toMatch(/too common/);
    }
  });

  it('refuses the email address or its local part', () => {
    expect(passwordProblem('alice.smith@example.com', 'Alice.Smith@example.com')).toMatch(/email/);
    expect(passwordProblem('alice.smith', 'alice.smith@example.com')).toMatch(/email/);
  });
});
