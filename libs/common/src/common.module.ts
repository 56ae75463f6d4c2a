import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config';
import { Metrics } from './metrics';

/**
 * Makes the validated configuration (`@Inject(APP_CONFIG)`) and the application's metrics injectable
 * everywhere; each application gets metrics of its own.
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: Metrics, useFactory: () => new Metrics() },
      ],
      exports: [APP_CONFIG, Metrics],
    };
  }
}
