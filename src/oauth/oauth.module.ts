import {
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { NextFunction, Request, Response } from 'express';
import * as express from 'express';
import { AuthModule } from '../auth/auth.module';
import { CredentialChanges } from '../auth/credential-changes';
import { PrincipalResolver } from '../auth/principal/principal-resolver.service';
import { Role } from '../roles/entities/role.entity';
import { providePermissions } from '../roles/provide-permissions';
import { TenantsModule } from '../tenants/tenants.module';
import { UserAccountsModule } from '../users/user-accounts.module';
import { OAuthArtifact } from './entities/oauth-artifact.entity';
import { OAuthClient } from './entities/oauth-client.entity';
import { OAuthConsent } from './entities/oauth-consent.entity';
import { OAuthGrantsController } from './grants/oauth-grants.controller';
import { OAuthGrantsService } from './grants/oauth-grants.service';
import { InteractionController } from './interaction/interaction.controller';
import { InteractionConsent } from './interaction/interaction-consent';
import { InteractionForms } from './interaction/interaction-forms';
import { InteractionService } from './interaction/interaction.service';
import { errorPage, pageCsp } from './interaction/pages';
import { OAuthClientDirectory } from './oauth-client-directory.service';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsService } from './oauth-clients.service';
import { OAuthConsentService } from './oauth-consent.service';
import { OAuthTokenAuthenticator } from './oauth-token-authenticator.service';
import { OAUTH_CLIENT_SUBJECT } from './oauth.permissions';
import { OidcAccounts } from './provider/oidc-accounts';
import { OidcArtifactStore } from './provider/oidc-artifact-store.service';
import { OidcAuditListener } from './provider/oidc-audit-listener';
import { OidcConfiguration } from './provider/oidc-configuration';
import { OidcProviderService } from './provider/oidc-provider.service';
import { OidcStorageAdapter } from './provider/oidc-storage-adapter';
import { OidcTokenClaims } from './provider/oidc-token-claims';

const formParser = express.urlencoded({ limit: '16kb', extended: false, parameterLimit: 20 });

/** `/oidc` skips the global body parsers; the login and consent forms are parsed here. */
function parseInteractionForm(req: Request, res: Response, next: NextFunction): void {
  formParser(req, res, (error?: unknown) => {
    if (!error) {
      next();
      return;
    }
    res.status(400);
    res.setHeader('Content-Security-Policy', pageCsp());
    res.type('html').send(errorPage('Sign-in failed', 'The form could not be read.'));
  });
}

/**
 * The OAuth 2.0 / OpenID Connect authorization server (`/oidc`, on oidc-provider) and the
 * management of its clients (`/v1/oauth/clients`) and of a user's grants (`/v1/auth/grants`).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([OAuthClient, OAuthArtifact, OAuthConsent, Role]),
    AuthModule,
    UserAccountsModule,
    TenantsModule,
  ],
  controllers: [OAuthClientsController, OAuthGrantsController, InteractionController],
  providers: [
    OAuthClientsService,
    OAuthGrantsService,
    OAuthClientDirectory,
    OAuthConsentService,
    OAuthTokenAuthenticator,
    OidcArtifactStore,
    OidcAuditListener,
    OidcStorageAdapter,
    OidcTokenClaims,
    OidcAccounts,
    OidcConfiguration,
    OidcProviderService,
    InteractionService,
    InteractionConsent,
    InteractionForms,
    providePermissions(OAUTH_CLIENT_SUBJECT),
  ],
  exports: [OidcProviderService],
})
export class OAuthModule implements NestModule, OnModuleInit {
  constructor(
    private readonly resolver: PrincipalResolver,
    private readonly authenticator: OAuthTokenAuthenticator,
    private readonly credentials: CredentialChanges,
    private readonly grants: OAuthGrantsService,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(parseInteractionForm).forRoutes(InteractionController);
  }

  onModuleInit(): void {
    this.resolver.useOAuthAuthenticator((claims) => this.authenticator.authenticate(claims));
    // Delegated access ends with the credentials that granted it (SPEC §14).
    this.credentials.on(({ tenantId, userId, reason }) =>
      this.grants.revokeGrantsOfAccount(tenantId, userId, reason),
    );
  }
}
