import type { Principal } from '../auth/principal/principal';
import { AppError } from '../common/errors/app-error';
import type {
  AttributeMapping,
  OidcSettings,
  SamlSettings,
} from './entities/sso-connection.entity';

/**
 * The settings that decide whom a connection signs in, by the names audit events give them.
 * Whoever sets them can sign in as any account the connection reaches: changing one is
 * owner-level (`sso.permissions.ts`), ends the sessions opened through the connection and
 * withdraws its unredeemed login codes. A new trust setting belongs in this list.
 */
export const TRUST_FIELDS = [
  'domains',
  'jitProvisioning',
  'idpEnforcesMfa',
  'defaultRoleIds',
  'attributeMapping',
  'saml.idpEntityId',
  'saml.ssoUrl',
  'saml.certificates',
  'oidc.issuer',
  'oidc.clientId',
  'oidc.clientSecret',
] as const;
export type TrustField = (typeof TRUST_FIELDS)[number];

/** A connection's trust settings as compared before and after an update. */
export interface TrustState {
  domains: readonly string[];
  jitProvisioning: boolean;
  /** Whether the IdP's signed MFA stands in for the account's own second factor. */
  idpEnforcesMfa: boolean;
  defaultRoleIds: readonly string[];
  attributeMapping: AttributeMapping | null;
  saml: SamlSettings | null;
  oidc: OidcSettings | null;
}

/** The trust state of stored or updated settings, with the domain names they serve. */
export function trustState(
  settings: Omit<TrustState, 'domains'>,
  domains: readonly string[],
): TrustState {
  return {
    domains,
    jitProvisioning: settings.jitProvisioning,
    idpEnforcesMfa: settings.idpEnforcesMfa,
    defaultRoleIds: settings.defaultRoleIds,
    attributeMapping: settings.attributeMapping,
    saml: settings.saml,
    oidc: settings.oidc,
  };
}

type ComparedField = Exclude<TrustField, 'oidc.clientSecret'>;

/** How each trust field reads from a state (TypeScript wants every new field here too). */
const COMPARED: Readonly<Record<ComparedField, (state: TrustState) => unknown>> = {
  domains: (state) => [...state.domains].sort(),
  jitProvisioning: (state) => state.jitProvisioning,
  idpEnforcesMfa: (state) => state.idpEnforcesMfa,
  defaultRoleIds: (state) => [...state.defaultRoleIds].sort(),
  attributeMapping: (state) => state.attributeMapping,
  'saml.idpEntityId': (state) => state.saml?.idpEntityId,
  'saml.ssoUrl': (state) => state.saml?.ssoUrl,
  'saml.certificates': (state) => state.saml?.certificates,
  'oidc.issuer': (state) => state.oidc?.issuer,
  'oidc.clientId': (state) => state.oidc?.clientId,
};

/**
 * The trust fields an update changes. A client secret given counts as changed: it is sealed with
 * a fresh nonce, and re-sending the same secret is too rare to be worth opening the stored one.
 */
export function changedTrustFields(
  before: TrustState,
  after: TrustState,
  clientSecretGiven: boolean,
): TrustField[] {
  return TRUST_FIELDS.filter((field) =>
    field === 'oidc.clientSecret'
      ? clientSecretGiven
      : JSON.stringify(COMPARED[field](before)) !== JSON.stringify(COMPARED[field](after)),
  );
}

/**
 * Checks that the caller may create, delete, or update these fields of a connection (field by
 * field, as the rules name them). In the root tenant a connection can sign in as the platform
 * admin, whom the root owner does not cover: anything beyond reading and renaming there also
 * needs `manage Platform`.
 */
export function assertMayConfigure(
  auth: Principal,
  action: 'create' | 'update' | 'delete',
  connection: object,
  fields: readonly string[] = [],
): void {
  if (action !== 'update') auth.permissions.assert(action, 'SsoConnection', connection);
  else if (fields.length === 0) auth.permissions.assert('update', 'SsoConnection', connection);
  for (const field of action === 'update' ? fields : []) {
    auth.permissions.assert('update', 'SsoConnection', connection, field);
  }
  const beyondRename = action !== 'update' || fields.some((field) => field !== 'name');
  if (auth.tenant.isRoot && beyondRename && !auth.permissions.can('manage', 'Platform')) {
    throw AppError.forbidden(
      'In the root tenant only a platform admin configures single sign-on trust.',
    );
  }
}
