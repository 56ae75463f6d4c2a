import { Module } from '@nestjs/common';
import { TokensModule } from '@rollcall/tokens';
import { TenantAdminTokensController } from './tenant-admin-tokens.controller';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TokensModule],
  controllers: [TenantsController, TenantAdminTokensController],
  providers: [TenantsService],
  exports: [TenantsService],
})
export class TenancyModule {}
