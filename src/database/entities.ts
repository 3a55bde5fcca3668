import { ApiKey } from '../api-keys/entities/api-key.entity';
import { ActionToken } from '../account/entities/action-token.entity';
import { MfaRecoveryCode } from '../account/entities/mfa-recovery-code.entity';
import { UserMfaState } from '../account/entities/user-mfa-state.entity';
import { AuditCheckpoint } from '../audit/entities/audit-checkpoint.entity';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { IdempotencyKey } from '../idempotency/entities/idempotency-key.entity';
import { OneTimeCode } from '../auth/entities/one-time-code.entity';
import { OAuthArtifact } from '../oauth/entities/oauth-artifact.entity';
import { OAuthClient } from '../oauth/entities/oauth-client.entity';
import { OAuthConsent } from '../oauth/entities/oauth-consent.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Session } from '../auth/entities/session.entity';
import { SigningKey } from '../auth/keys/entities/signing-key.entity';
import { Project } from '../projects/entities/project.entity';
import { Role } from '../roles/entities/role.entity';
import { FederationState } from '../social/entities/federation-state.entity';
import { SsoConnectionDomain } from '../sso/entities/sso-connection-domain.entity';
import { SsoConnection } from '../sso/entities/sso-connection.entity';
import { SsoState } from '../sso/entities/sso-state.entity';
import { Tenant } from '../tenants/entities/tenant.entity';
import { UserIdentity } from '../users/entities/user-identity.entity';
import { User } from '../users/entities/user.entity';

/**
 * Every entity of the schema. Listed, not globbed: the same list works compiled, under the
 * TypeORM CLI and in tests, and a new entity without a migration fails the schema test.
 */
export const ENTITIES = [
  Tenant,
  Role,
  User,
  Session,
  RefreshToken,
  SigningKey,
  AuditEvent,
  AuditCheckpoint,
  OneTimeCode,
  UserIdentity,
  ApiKey,
  Project,
  FederationState,
  SsoConnection,
  SsoConnectionDomain,
  SsoState,
  ActionToken,
  MfaRecoveryCode,
  UserMfaState,
  OAuthClient,
  OAuthArtifact,
  OAuthConsent,
  IdempotencyKey,
] as const;
