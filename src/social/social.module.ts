import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { TenantsModule } from '../tenants/tenants.module';
import { User } from '../users/entities/user.entity';
import { UserAccountsModule } from '../users/user-accounts.module';
import { FederationState } from './entities/federation-state.entity';
import { BrowserBinding } from './federation/browser-binding';
import { FederationStateStore } from './federation/federation-state.store';
import { OidcClients } from './federation/oidc-clients.service';
import { IdentitiesController } from './identities.controller';
import { IdentitiesService } from './identities.service';
import { SocialProviders } from './providers/social-providers';
import { SocialAccountsService } from './social-accounts.service';
import { SocialController } from './social.controller';
import { SocialLoginService } from './social-login.service';

/**
 * Login through external providers (Google, GitHub, OIDC_PROVIDERS) and the caller's linked
 * identities. Exports the federation pieces an SSO module can reuse: the state store, the
 * browser binding and the openid-client factory.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([FederationState, User]),
    UserAccountsModule,
    TenantsModule,
    AuthModule,
  ],
  controllers: [SocialController, IdentitiesController],
  providers: [
    FederationStateStore,
    BrowserBinding,
    OidcClients,
    SocialProviders,
    SocialAccountsService,
    SocialLoginService,
    IdentitiesService,
  ],
  exports: [FederationStateStore, BrowserBinding, OidcClients],
})
export class SocialModule {}
