import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { providePermissions } from '../roles/provide-permissions';
import { __Name__ } from './entities/__name__.entity';
import { __Names__Controller } from './__names__.controller';
import { __CONST___SUBJECT } from './__names__.permissions';
import { __Names__Service } from './__names__.service';

@Module({
  imports: [TypeOrmModule.forFeature([__Name__])],
  controllers: [__Names__Controller],
  providers: [
    __Names__Service,
    providePermissions(__CONST___SUBJECT),
  ],
})
export class __Names__Module {}
