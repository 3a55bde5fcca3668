import { AuditEvent } from '../audit/entities/audit-event.entity';
import { OneTimeCode } from '../auth/entities/one-time-code.entity';
import { OAuthArtifact } from '../oauth/entities/oauth-artifact.entity';
import { OAuthClient } from '../oauth/entities/oauth-client.entity';
import { OAuthConsent } from '../oauth/entities/oauth-consent.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Session } from '../auth/entities/session.entity';
import { SigningKey } from '../auth/keys/entities/signing-key.entity';
import { Role } from '../roles/entities/role.entity';
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
  OneTimeCode,
  UserIdentity,
  OAuthClient,
  OAuthArtifact,
  OAuthConsent,
] as const;
