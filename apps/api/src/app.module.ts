import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { type AppConfig, CommonModule } from '@rollcall/common';
import { DatabaseModule } from '@rollcall/database';
import { GroupsModule } from '@rollcall/groups';
import { IntegrationsModule } from '@rollcall/integrations';
import { ScimModule } from '@rollcall/scim';
import { TenancyModule } from '@rollcall/tenancy';
import { TokensModule } from '@rollcall/tokens';
import { HealthController } from './health.controller';
import { MetricsServer } from './metrics';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CommonModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, {
          size: config.databasePoolSize,
          statementTimeoutMs: config.timeouts.statementMs,
          lockTimeoutMs: config.timeouts.lockMs,
          idleInTransactionTimeoutMs: config.timeouts.idleInTransactionMs,
          connectTimeoutMs: config.timeouts.connectMs,
        }),
        TerminusModule.forRoot({ logger: false }),
        TokensModule,
        TenancyModule,
        GroupsModule,
        IntegrationsModule,
        ScimModule,
      ],
      controllers: [HealthController],
      providers: [MetricsServer],
    };
  }
}
