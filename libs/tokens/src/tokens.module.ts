import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@rollcall/audit';
import { AdminTokensController } from './admin-tokens.controller';
import { AdmissionService } from './admission.service';
import { BearerStrategy } from './bearer.strategy';
import { PortalLinksController } from './portal-links.controller';
import { PortalSessionController, PortalSessionsController } from './portal-sessions.controller';
import { PortalStartController } from './portal-start.controller';
import { PortalRetentionService } from './portal-retention.service';
import { PortalService } from './portal.service';
import { TokensService } from './tokens.service';

@Module({
  imports: [PassportModule.register({ session: false }), AuditModule],
  controllers: [
    AdminTokensController,
    PortalLinksController,
    PortalSessionsController,
    PortalSessionController,
    PortalStartController,
  ],
  providers: [TokensService, BearerStrategy, AdmissionService, PortalService, PortalRetentionService],
  exports: [TokensService, AdmissionService],
})
export class TokensModule {}
