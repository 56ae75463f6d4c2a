import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from './clock';
import { APP_CONFIG, type AppConfig } from './config';
import { Metrics } from './metrics';

/**
 * Makes the validated configuration (`@Inject(APP_CONFIG)`), the application's metrics and the clock injectable
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
        Clock,
      ],
      exports: [APP_CONFIG, Metrics, Clock],
    };
  }
}
