import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { LoginPolicies } from '../auth/login/login-policies';
import { Role } from '../roles/entities/role.entity';
import { providePermissions } from '../roles/provide-permissions';
import { TenantsModule } from '../tenants/tenants.module';
import { UserAccountsModule } from '../users/user-accounts.module';
import { ConnectionSettingsBuilder } from './connection-settings-builder';
import { DnsTxtLookup } from './domains/dns-txt-lookup';
import { SsoDomainsService } from './domains/sso-domains.service';
import { SsoConnectionDomain } from './entities/sso-connection-domain.entity';
import { SsoConnection } from './entities/sso-connection.entity';
import { SsoState } from './entities/sso-state.entity';
import { OidcSsoController } from './oidc/oidc-sso.controller';
import { OidcDiscovery } from './oidc/oidc-discovery';
import { OidcSsoService } from './oidc/oidc-sso.service';
import { SamlBrowserBinding } from './saml/saml-browser-binding';
import { SamlSsoController } from './saml/saml-sso.controller';
import { SamlSsoService } from './saml/saml-sso.service';
import { SsoConnectionsController } from './sso-connections.controller';
import { SsoConnectionsService } from './sso-connections.service';
import { SsoDiscoveryController } from './sso-discovery.controller';
import { SsoLoginService } from './sso-login.service';
import { SsoRequiredPolicy } from './sso-required.policy';
import { SsoStateStore } from './sso-state.store';
import { SSO_CONNECTION_SUBJECT } from './sso.permissions';

/**
 * Enterprise SSO: SAML 2.0 and OIDC connections per tenant, domain discovery, JIT
 * provisioning, and the `ssoRequired` password-login policy.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([SsoConnection, SsoConnectionDomain, SsoState, Role]),
    UserAccountsModule,
    TenantsModule,
    AuthModule,
  ],
  controllers: [
    SsoConnectionsController,
    SsoDiscoveryController,
    SamlSsoController,
    OidcSsoController,
  ],
  providers: [
    SsoConnectionsService,
    ConnectionSettingsBuilder,
    SsoDomainsService,
    DnsTxtLookup,
    SsoStateStore,
    SsoLoginService,
    SamlSsoService,
    SamlBrowserBinding,
    OidcDiscovery,
    OidcSsoService,
    SsoRequiredPolicy,
    providePermissions(SSO_CONNECTION_SUBJECT),
  ],
})
export class SsoModule implements OnModuleInit {
  constructor(
    private readonly policies: LoginPolicies,
    private readonly ssoRequired: SsoRequiredPolicy,
  ) {}

  onModuleInit(): void {
    this.policies.register(this.ssoRequired);
  }
}
