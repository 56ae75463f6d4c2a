import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AdminTokensController } from './admin-tokens.controller';
import { AdmissionService } from './admission.service';
import { BearerStrategy } from './bearer.strategy';
import { TokensService } from './tokens.service';

@Module({
  imports: [PassportModule.register({ session: false })],
  controllers: [AdminTokensController],
  providers: [TokensService, BearerStrategy, AdmissionService],
  exports: [TokensService, AdmissionService],
})
export class TokensModule {}
