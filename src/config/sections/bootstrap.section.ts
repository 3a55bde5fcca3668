import { Transform } from 'class-transformer';
import { Length, Matches } from 'class-validator';
import type { BootstrapConfig } from '../config.types';
import { EnvString } from '../env-decorators';

const SLUG = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

/** The first tenant and its administrator, created on the first run only. */
export class BootstrapVariables {
  @EnvString()
  @Matches(SLUG, { message: `must be a slug matching ${SLUG.source}` })
  BOOTSTRAP_TENANT = 'root';

  @EnvString()
  @Transform(({ value }: { value: string }) => value.toLowerCase())
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'must be an email address' })
  BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';

  /** Unset: a password is generated and printed once. */
  @EnvString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  /** Where a generated password goes when stdout is not a terminal (a log stream). */
  @EnvString()
  BOOTSTRAP_ADMIN_PASSWORD_OUTPUT = './data/bootstrap-admin-password';
}

export function toBootstrapConfig(vars: BootstrapVariables): BootstrapConfig {
  return {
    tenantSlug: vars.BOOTSTRAP_TENANT,
    adminEmail: vars.BOOTSTRAP_ADMIN_EMAIL,
    adminPassword: vars.BOOTSTRAP_ADMIN_PASSWORD ?? null,
    passwordOutput: vars.BOOTSTRAP_ADMIN_PASSWORD_OUTPUT,
  };
}
