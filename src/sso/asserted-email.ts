/** RFC 5321: a path is at most 256 octets, so an address at most 254. */
const MAX_EMAIL_LENGTH = 254;
const WHITESPACE = /\s/;

/**
 * The email an IdP asserts (a SAML attribute or NameID, an ID-token claim), lower-cased, or null
 * when it is not an address: one `@`, a dotted domain, no whitespace. The length is checked
 * first and no pattern spans the value, because an IdP (one a tenant runs, too) can send
 * kilobytes: `/^[^\s@]+@[^\s@]+\.[^\s@]+$/` backtracked quadratically on a long run of dots.
 */
export function assertedEmail(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH || WHITESPACE.test(email)) return null;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) return null;
  // `[^\s@]+\.[^\s@]+` after the `@`: a dot with at least one character on each side.
  if (!email.slice(at + 2, -1).includes('.')) return null;
  return email;
}
