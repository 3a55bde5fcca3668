import { InitialSchema1764400000000 } from './1764400000000-initial-schema';

/** Every migration, oldest first. Listed, not globbed, so tests and the CLI load the same set. */
export const MIGRATIONS = [InitialSchema1764400000000] as const;
