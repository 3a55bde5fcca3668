import { generateSecret, generateURI, verifySync } from 'otplib';

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const PERIOD_S = 30;
/**
 * One step either side of now (RFC 6238 §5.2 recommends at most one step of network delay),
 * which also absorbs a phone clock a little off.
 */
const TOLERANCE_S = PERIOD_S;

/** A new 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 as apps expect. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret, period: PERIOD_S, digits: 6 });
}

/** True when `input` has the shape of a TOTP code (spaces ignored). */
export function looksLikeTotp(input: string): boolean {
  return /^\d{6}$/.test(input.replace(/\s/g, ''));
}

/**
 * The time step of a valid code, or null. Steps up to `afterTimeStep` are refused, so a code
 * already accepted (or an older one) cannot be replayed.
 */
export function verifyTotp(
  secret: string,
  input: string,
  afterTimeStep: number | null,
  epochSeconds = Math.floor(Date.now() / 1000),
): number | null {
  const token = input.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = verifySync({
    secret,
    token,
    period: PERIOD_S,
    epoch: epochSeconds,
    epochTolerance: TOLERANCE_S,
    ...(afterTimeStep !== null ? { afterTimeStep } : {}),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
