import { IsString, Matches, MinLength } from 'class-validator';
import type { OidcProviderSettings, SocialConfig } from '../config.types';
import { EnvInt, EnvJson, EnvString, EnvUrl, stripTrailingSlash } from '../env-decorators';
import { WEB_PROTOCOLS } from './server.section';

const NAME = /^[a-z][a-z0-9-]{1,31}$/;

/** One entry of `OIDC_PROVIDERS`. */
class OidcProviderEntry {
  @IsString({ message: `must match ${NAME.source}` })
  @Matches(NAME, { message: `must match ${NAME.source}` })
  name!: string;

  @IsString({ message: 'must be an http(s) URL' })
  @Matches(/^https?:\/\//, { message: 'must be an http(s) URL' })
  issuer!: string;

  @IsString({ message: 'is required' })
  @MinLength(1, { message: 'is required' })
  clientId!: string;

  @IsString({ message: 'is required' })
  @MinLength(1, { message: 'is required' })
  clientSecret!: string;
}

/** Social login: Google, GitHub and extra OIDC providers, and where they live. */
export class SocialVariables {
  /** Each provider's id and secret are set both or neither (`toSocialConfig`). */
  @EnvString()
  GOOGLE_CLIENT_ID?: string;

  @EnvString()
  GOOGLE_CLIENT_SECRET?: string;

  @EnvString()
  GITHUB_CLIENT_ID?: string;

  @EnvString()
  GITHUB_CLIENT_SECRET?: string;

  @EnvJson(OidcProviderEntry, {
    list: true,
    expected: 'must be a JSON array of {name, issuer, clientId, clientSecret}',
  })
  OIDC_PROVIDERS: OidcProviderEntry[] = [];

  /** Google's OIDC issuer; moved only to point tests at local servers, like the next two. */
  @EnvUrl(WEB_PROTOCOLS, { baseUrl: true })
  GOOGLE_ISSUER = 'https://accounts.google.com';

  /** GitHub's web origin: `/login/oauth/authorize` and `/login/oauth/access_token`. */
  @EnvUrl(WEB_PROTOCOLS, { baseUrl: true })
  GITHUB_URL = 'https://github.com';

  /** GitHub's REST API: `/user` and `/user/emails`. */
  @EnvUrl(WEB_PROTOCOLS, { baseUrl: true })
  GITHUB_API_URL = 'https://api.github.com';

  /** Bound of every request to a provider. */
  @EnvInt(100, 60_000)
  SOCIAL_HTTP_TIMEOUT_MS = 5000;
}

function pair(
  prefix: 'GOOGLE' | 'GITHUB',
  clientId: string | undefined,
  clientSecret: string | undefined,
  problems: string[],
): { clientId: string; clientSecret: string } | null {
  if (clientId !== undefined && clientSecret !== undefined) return { clientId, clientSecret };
  if (clientId !== undefined || clientSecret !== undefined) {
    problems.push(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET must be set together`);
  }
  return null;
}

/** Every provider name names one provider, built-in ones included. */
function uniqueProviders(entries: readonly OidcProviderEntry[], problems: string[]) {
  const taken = new Set(['google', 'github']);
  const providers: OidcProviderSettings[] = [];
  entries.forEach(({ name, issuer, clientId, clientSecret }, index) => {
    if (taken.has(name)) {
      problems.push(`OIDC_PROVIDERS[${index}].name "${name}" is used twice`);
      return;
    }
    taken.add(name);
    providers.push({ name, issuer: stripTrailingSlash(issuer), clientId, clientSecret });
  });
  return providers;
}

/** The `social` section, with the rules between its variables. */
export function toSocialConfig(vars: SocialVariables, problems: string[]): SocialConfig {
  return {
    google: pair('GOOGLE', vars.GOOGLE_CLIENT_ID, vars.GOOGLE_CLIENT_SECRET, problems),
    github: pair('GITHUB', vars.GITHUB_CLIENT_ID, vars.GITHUB_CLIENT_SECRET, problems),
    oidcProviders: uniqueProviders(vars.OIDC_PROVIDERS, problems),
    endpoints: {
      googleIssuer: vars.GOOGLE_ISSUER,
      githubUrl: vars.GITHUB_URL,
      githubApiUrl: vars.GITHUB_API_URL,
    },
    httpTimeoutMs: vars.SOCIAL_HTTP_TIMEOUT_MS,
  };
}
