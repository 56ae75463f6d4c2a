import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, type PoolSettings } from './data-source-options';
import { SqlService } from './sql.service';
import { StatisticsService } from './statistics.service';

@Module({})
export class DatabaseModule {
  /** Connects to `url`; the schema is migrated before (main.ts, or `npm run migration:run`). */
  static forRoot(url: string, pool: PoolSettings): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [SqlService, StatisticsService],
      exports: [SqlService, StatisticsService],
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(url, pool),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
      ],
    };
  }
}
