import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from '../auth/passwords/password-hasher.service';
import { Role } from '../roles/entities/role.entity';
import { UserIdentity } from './entities/user-identity.entity';
import { User } from './entities/user.entity';
import { UserIdentitiesService } from './user-identities.service';
import { UserAccountsService } from './user-accounts.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Role, UserIdentity])],
  providers: [UserAccountsService, UserIdentitiesService, PasswordHasher],
  exports: [UserAccountsService, UserIdentitiesService, PasswordHasher, TypeOrmModule],
})
export class UsersModule {}
