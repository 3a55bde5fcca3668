import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { Role } from '../roles/entities/role.entity';
import { User } from './entities/user.entity';
import { UserAccountsModule } from './user-accounts.module';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** The users management API (`/v1/users`). */
@Module({
  imports: [TypeOrmModule.forFeature([User, Role]), UserAccountsModule, AuthModule],
  controllers: [UsersController],
  providers: [UsersService],
})
export class UsersModule {}
