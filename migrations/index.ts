import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { OneTimeCodes1764400100000 } from './1764400100000-one-time-codes';
import { UserIdentities1764400200000 } from './1764400200000-user-identities';
import { OAuthServer1764400600000 } from './1764400600000-oauth-server';

/** Every migration, oldest first. Listed, not globbed, so tests and the CLI load the same set. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  OneTimeCodes1764400100000,
  UserIdentities1764400200000,
  OAuthServer1764400600000,
] as const;
