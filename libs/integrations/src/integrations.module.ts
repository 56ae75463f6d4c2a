import { Module } from '@nestjs/common';
import { AuditModule } from '@rollcall/audit';
import { GroupsModule } from '@rollcall/groups';
import { TokensModule } from '@rollcall/tokens';
import { ActivityService } from './activity.service';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';
import { ScimEventsService } from './scim-events.service';

@Module({
  imports: [TokensModule, GroupsModule, AuditModule],
  controllers: [IntegrationsController],
  providers: [IntegrationsService, ActivityService, ScimEventsService],
  exports: [IntegrationsService, ScimEventsService],
})
export class IntegrationsModule {}
