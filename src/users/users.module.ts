import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from '../auth/passwords/password-hasher.service';
import { Role } from '../roles/entities/role.entity';
import { User } from './entities/user.entity';
import { UserAccountsService } from './user-accounts.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Role])],
  providers: [UserAccountsService, PasswordHasher],
  exports: [UserAccountsService, PasswordHasher, TypeOrmModule],
})
export class UsersModule {}
