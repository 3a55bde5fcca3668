import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { Tenant } from '../../tenants/entities/tenant.entity';
import { OidcClients } from '../federation/oidc-clients.service';
import { GitHubSocialProvider } from './github-social.provider';
import { OidcSocialProvider } from './oidc-social.provider';
import type { SocialProvider } from './social-provider';

/**
 * The social providers this instance is configured for: Google and GitHub when their client
 * credentials are set, plus every OIDC_PROVIDERS entry. Each tenant picks among them with its
 * `socialProviders` setting (null: all of them).
 */
@Injectable()
export class SocialProviders {
  private readonly providers = new Map<string, SocialProvider>();

  constructor(config: AppConfig, clients: OidcClients) {
    const { google, github, oidcProviders, endpoints } = config.social;
    if (google) {
      this.add(
        new OidcSocialProvider('google', { issuer: endpoints.googleIssuer, ...google }, clients),
      );
    }
    if (github) {
      this.add(
        new GitHubSocialProvider(
          { ...github, url: endpoints.githubUrl, apiUrl: endpoints.githubApiUrl },
          clients,
        ),
      );
    }
    for (const provider of oidcProviders) {
      this.add(new OidcSocialProvider(provider.name, provider, clients));
    }
  }

  get(name: string): SocialProvider | null {
    return this.providers.get(name) ?? null;
  }

  names(): string[] {
    return [...this.providers.keys()];
  }

  /**
   * Whether the tenant lets its users sign in with this provider. A tenant that requires SSO
   * gets none: a social login would walk around its IdP.
   */
  isEnabled(tenant: Tenant, name: string): boolean {
    if (!this.providers.has(name) || tenant.settings.ssoRequired) return false;
    const allowed = tenant.settings.socialProviders;
    return allowed === null || allowed === undefined || allowed.includes(name);
  }

  private add(provider: SocialProvider): void {
    this.providers.set(provider.name, provider);
  }
}
