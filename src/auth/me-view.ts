import { packRules } from '@casl/ability/extra';
import { type AppAbility, isApiScope } from '../roles/ability.factory';
import { UserDto } from '../users/dto/user.dto';
import type { MeResponseDto, MeUserDto } from './dto/auth.dto';
import type { Principal } from './principal/principal';
import type { UserContext } from './principal/principal.service';

/** Packed once per ability: abilities live in the permission cache and their rules never change. */
const packedRules = new WeakMap<AppAbility, unknown[]>();
function packedRulesOf(ability: AppAbility | undefined): unknown[] {
  if (!ability) return [];
  let packed = packedRules.get(ability);
  if (!packed) {
    packed = packRules(ability.rules);
    packedRules.set(ability, packed);
  }
  return packed;
}

/**
 * An OAuth token sees of its user only what its scopes name, as userinfo would (OIDC Core
 * §5.4): `profile` the name, `email` the email and whether it is verified. Status, MFA and
 * login times are the account's security posture, which no scope covers. Roles and the
 * (scoped) permissions come only with an API scope, the scopes that are about acting on the API.
 */
function scopedUser(context: UserContext, scopes: readonly string[], api: boolean): MeUserDto {
  const { user } = context;
  return {
    id: user.id,
    tenantId: user.tenantId,
    ...(scopes.includes('profile') ? { name: user.name } : {}),
    ...(scopes.includes('email') ? { email: user.email, emailVerified: user.emailVerified } : {}),
    ...(api ? { roles: context.roles.map((role) => ({ id: role.id, name: role.name })) } : {}),
  };
}

/**
 * `GET /v1/auth/me` of a user principal (API keys and client credentials are refused before):
 * a first-party token sees its whole account, an OAuth token what its scopes allow.
 */
export function meView(auth: Principal, context: UserContext): MeResponseDto {
  const tenant = {
    id: auth.tenant.id,
    slug: auth.tenant.slug,
    name: auth.tenant.name,
    plan: auth.tenant.plan,
  };
  const permissions = packedRulesOf(auth.permissions.abilities[0]);
  if (auth.scopes === null) {
    return {
      user: UserDto.from(context.user, context.roles),
      tenant,
      roles: [...auth.roles],
      permissions,
    };
  }
  const api = auth.scopes.some(isApiScope);
  return {
    user: scopedUser(context, auth.scopes, api),
    tenant,
    ...(api ? { roles: [...auth.roles], permissions } : {}),
  };
}
