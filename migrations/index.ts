import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { OneTimeCodes1764400100000 } from './1764400100000-one-time-codes';
import { UserIdentities1764400200000 } from './1764400200000-user-identities';
import { ApiKeysAndProjects1764400300000 } from './1764400300000-api-keys-and-projects';
import { AccountLifecycle1764400500000 } from './1764400500000-account-lifecycle';
import { OAuthServer1764400600000 } from './1764400600000-oauth-server';
import { FederationStates1764400700000 } from './1764400700000-federation-states';
import { Sso1764400800000 } from './1764400800000-sso';
import { SsoTrust1764400900000 } from './1764400900000-sso-trust';
import { FederatedLoginMfa1764401000000 } from './1764401000000-federated-login-mfa';
import { OAuthGrantOwners1764401100000 } from './1764401100000-oauth-grant-owners';
import { OneTimeCodeChallenge1764401300000 } from './1764401300000-one-time-code-challenge';
import { AuditChainKeys1764401400000 } from './1764401400000-audit-chain-keys';
import { MfaChallengeConnection1764401600000 } from './1764401600000-mfa-challenge-connection';
import { HashedOAuthArtifacts1764401700000 } from './1764401700000-hashed-oauth-artifacts';
import { IdempotencyKeys1764401800000 } from './1764401800000-idempotency-keys';
import { RowVersions1764401900000 } from './1764401900000-row-versions';
import { ListOrderIndexes1764402000000 } from './1764402000000-list-order-indexes';

/** Every migration, oldest first. Listed, not globbed, so tests and the CLI load the same set. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  OneTimeCodes1764400100000,
  UserIdentities1764400200000,
  ApiKeysAndProjects1764400300000,
  AccountLifecycle1764400500000,
  OAuthServer1764400600000,
  FederationStates1764400700000,
  Sso1764400800000,
  SsoTrust1764400900000,
  FederatedLoginMfa1764401000000,
  OAuthGrantOwners1764401100000,
  OneTimeCodeChallenge1764401300000,
  AuditChainKeys1764401400000,
  MfaChallengeConnection1764401600000,
  HashedOAuthArtifacts1764401700000,
  IdempotencyKeys1764401800000,
  RowVersions1764401900000,
  ListOrderIndexes1764402000000,
] as const;
