import { Module } from '@nestjs/common';
import { TokensModule } from '@rollcall/tokens';
import { DirectoryUsersController, GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({
  imports: [TokensModule],
  controllers: [GroupsController, DirectoryUsersController],
  providers: [GroupsService],
  exports: [GroupsService],
})
export class GroupsModule {}
