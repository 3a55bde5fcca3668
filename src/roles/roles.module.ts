import { Module } from '@nestjs/common';
import './core.permissions';

/** CASL abilities and the permission catalogue; management routes come with the roles issue. */
@Module({})
export class RolesModule {}
