import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@rollcall/audit';
import { AdminTokensController } from './admin-tokens.controller';
import { AdmissionService } from './admission.service';
import { BearerStrategy } from './bearer.strategy';
import { TokensService } from './tokens.service';

@Module({
  imports: [PassportModule.register({ session: false }), AuditModule],
  controllers: [AdminTokensController],
  providers: [TokensService, BearerStrategy, AdmissionService],
  exports: [TokensService, AdmissionService],
})
export class TokensModule {}
