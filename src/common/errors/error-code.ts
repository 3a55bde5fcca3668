/**
 * Stable machine codes of problem+json answers (SPEC §5, §13). Clients branch on these, never
 * on titles or details, so a code once published does not change meaning.
 */
export enum ErrorCode {
  MalformedJson = 'malformed_json',
  ValidationFailed = 'validation_failed',
  InvalidCurrentPassword = 'invalid_current_password',
  Unauthorized = 'unauthorized',
  InvalidToken = 'invalid_token',
  TokenExpired = 'token_expired',
  InvalidCredentials = 'invalid_credentials',
  MfaRequired = 'mfa_required',
  Forbidden = 'forbidden',
  SignupDisabled = 'signup_disabled',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  AccountExists = 'account_exists',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  SsoFailed = 'sso_failed',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  [ErrorCode.MalformedJson]: 'Malformed JSON',
  [ErrorCode.ValidationFailed]: 'Validation failed',
  [ErrorCode.InvalidCurrentPassword]: 'Invalid current password',
  [ErrorCode.Unauthorized]: 'Unauthorized',
  [ErrorCode.InvalidToken]: 'Invalid token',
  [ErrorCode.TokenExpired]: 'Token expired',
  [ErrorCode.InvalidCredentials]: 'Invalid credentials',
  [ErrorCode.MfaRequired]: 'Multi-factor authentication required',
  [ErrorCode.Forbidden]: 'Forbidden',
  [ErrorCode.SignupDisabled]: 'Sign-up disabled',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.MethodNotAllowed]: 'Method not allowed',
  [ErrorCode.Conflict]: 'Conflict',
  [ErrorCode.AccountExists]: 'Account exists',
  [ErrorCode.PayloadTooLarge]: 'Payload too large',
  [ErrorCode.UnsupportedMediaType]: 'Unsupported media type',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.SsoFailed]: 'Single sign-on failed',
  [ErrorCode.ServiceUnavailable]: 'Service unavailable',
  [ErrorCode.InternalError]: 'Internal server error',
};
