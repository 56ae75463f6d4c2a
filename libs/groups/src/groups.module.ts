import { Module } from '@nestjs/common';
import { AuditModule } from '@rollcall/audit';
import { TokensModule } from '@rollcall/tokens';
import { DirectoryUsersController, GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({
  imports: [TokensModule, AuditModule],
  controllers: [GroupsController, DirectoryUsersController],
  providers: [GroupsService],
  exports: [GroupsService],
})
export class GroupsModule {}
