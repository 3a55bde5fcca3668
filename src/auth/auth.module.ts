import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthenticationGuard } from './guards/authentication.guard';
import { AuthenticationHooks } from '../common/guards/authentication-hooks';
import { TenantsModule } from '../tenants/tenants.module';
import { UserAccountsModule } from '../users/user-accounts.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CredentialChanges } from './credential-changes';
import { OneTimeCode } from './entities/one-time-code.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { OneTimeCodeService } from './exchange/one-time-code.service';
import { Session } from './entities/session.entity';
import { SigningKey } from './keys/entities/signing-key.entity';
import { LoginPolicies } from './login/login-policies';
import { JwksController } from './keys/jwks.controller';
import { KeyStoreService } from './keys/key-store.service';
import { SigningKeyRotationService } from './keys/signing-key-rotation.service';
import { SigningKeysController } from './keys/signing-keys.controller';
import { PrincipalResolver } from './principal/principal-resolver.service';
import { PrincipalService } from './principal/principal.service';
import { AccessTokenService } from './tokens/access-token.service';
import { SessionService } from './tokens/session.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session, RefreshToken, SigningKey, OneTimeCode]),
    UserAccountsModule,
    TenantsModule,
  ],
  controllers: [AuthController, JwksController, SigningKeysController],
  providers: [
    AuthService,
    KeyStoreService,
    SigningKeyRotationService,
    AccessTokenService,
    SessionService,
    PrincipalService,
    PrincipalResolver,
    OneTimeCodeService,
    LoginPolicies,
    AuthenticationHooks,
    CredentialChanges,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
  ],
  exports: [
    AuthService,
    KeyStoreService,
    AccessTokenService,
    SessionService,
    PrincipalService,
    PrincipalResolver,
    OneTimeCodeService,
    LoginPolicies,
    AuthenticationHooks,
    CredentialChanges,
  ],
})
export class AuthModule {}
