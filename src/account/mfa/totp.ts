import { loadOnce } from '../../common/load-once';

/**
 * otplib loads with the first enrolment or code check: most processes of a busy instance serve
 * tokens long before anyone types a code, and it is ~60 ms and ~1 MB at start.
 */
const loadOtplib = loadOnce(() => import('otplib'));

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const PERIOD_S = 30;
/**
 * One step either side of now (RFC 6238 §5.2 recommends at most one step of network delay),
 * which also absorbs a phone clock a little off.
 */
const TOLERANCE_S = PERIOD_S;

/** A new 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 as apps expect. */
export async function newTotpSecret(): Promise<string> {
  return (await loadOtplib()).generateSecret({ length: 20 });
}

export async function totpUri(secret: string, issuer: string, account: string): Promise<string> {
  const { generateURI } = await loadOtplib();
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
export async function verifyTotp(
  secret: string,
  input: string,
  afterTimeStep: number | null,
  epochSeconds = Math.floor(Date.now() / 1000),
): Promise<number | null> {
  const token = input.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const { verifySync } = await loadOtplib();
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
