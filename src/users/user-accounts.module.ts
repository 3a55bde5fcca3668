import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from '../auth/passwords/password-hasher.service';
import { Role } from '../roles/entities/role.entity';
import { UserIdentity } from './entities/user-identity.entity';
import { User } from './entities/user.entity';
import { UserAccountsService } from './user-accounts.service';
import { UserIdentitiesService } from './user-identities.service';
import { UserInvitations } from './user-invitations';

/**
 * Accounts as the rest of Gatehouse needs them (create, find for login, external identities,
 * invitations), without the management API: auth, tenants and the federation modules import
 * this, and the users module builds its routes on top of it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User, Role, UserIdentity])],
  providers: [UserAccountsService, UserIdentitiesService, PasswordHasher, UserInvitations],
  exports: [
    UserAccountsService,
    UserIdentitiesService,
    PasswordHasher,
    UserInvitations,
    TypeOrmModule,
  ],
})
export class UserAccountsModule {}
