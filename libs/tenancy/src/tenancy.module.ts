import { Module } from '@nestjs/common';
import { AuditModule } from '@rollcall/audit';
import { TokensModule } from '@rollcall/tokens';
import { AuditLogController, TenantAuditLogController } from './audit-log.controller';
import { TenantAdminTokensController } from './tenant-admin-tokens.controller';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({
  imports: [TokensModule, AuditModule],
  controllers: [TenantsController, TenantAdminTokensController, AuditLogController, TenantAuditLogController],
  providers: [TenantsService],
  exports: [TenantsService],
})
export class TenancyModule {}
