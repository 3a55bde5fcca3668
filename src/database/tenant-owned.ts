import { ApiKey } from '../api-keys/entities/api-key.entity';
import { ActionToken } from '../account/entities/action-token.entity';
import { MfaRecoveryCode } from '../account/entities/mfa-recovery-code.entity';
import { UserMfaState } from '../account/entities/user-mfa-state.entity';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { IdempotencyKey } from '../idempotency/entities/idempotency-key.entity';
import { OneTimeCode } from '../auth/entities/one-time-code.entity';
import { Session } from '../auth/entities/session.entity';
import { OAuthClient } from '../oauth/entities/oauth-client.entity';
import { OAuthConsent } from '../oauth/entities/oauth-consent.entity';
import { Project } from '../projects/entities/project.entity';
import { Role } from '../roles/entities/role.entity';
import { SsoConnectionDomain } from '../sso/entities/sso-connection-domain.entity';
import { SsoConnection } from '../sso/entities/sso-connection.entity';
import { UserIdentity } from '../users/entities/user-identity.entity';
import { User } from '../users/entities/user.entity';

/**
 * Every entity with a `tenantId`: reached only through `TenantScopedRepository`. ESLint's
 * `no-restricted-syntax` (eslint.config.mjs) reads this list, so a raw repository of one of them
 * fails the lint; a spec keeps it equal to the entities with a `tenantId` column.
 */
export const TENANT_OWNED_ENTITIES = [
  ActionToken,
  ApiKey,
  AuditEvent,
  IdempotencyKey,
  MfaRecoveryCode,
  OAuthClient,
  OAuthConsent,
  OneTimeCode,
  Project,
  Role,
  Session,
  SsoConnection,
  SsoConnectionDomain,
  User,
  UserIdentity,
  UserMfaState,
] as const;
