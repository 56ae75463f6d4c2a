import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AdminTokensController } from './admin-tokens.controller';
import { BearerStrategy } from './bearer.strategy';
import { TokensService } from './tokens.service';

@Module({
  imports: [PassportModule.register({ session: false })],
  controllers: [AdminTokensController],
  providers: [TokensService, BearerStrategy],
  exports: [TokensService],
})
export class TokensModule {}
