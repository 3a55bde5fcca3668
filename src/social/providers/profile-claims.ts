import { normaliseEmail } from '../../users/user-accounts.service';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
const MAX_SUBJECT = 255;

/** A provider's email, lower-cased, or null when absent or not an address. */
export function emailClaim(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = normaliseEmail(value);
  return email.length <= 254 && EMAIL_PATTERN.test(email) ? email : null;
}

/** `email_verified` is a boolean in OIDC; a few providers send the string "true". */
export function verifiedClaim(value: unknown): boolean {
  return value === true || value === 'true';
}

export function nameClaim(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : null;
}

export function subjectClaim(value: unknown): string | null {
  const subject = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof subject === 'string' && subject !== '' && subject.length <= MAX_SUBJECT
    ? subject
    : null;
}
