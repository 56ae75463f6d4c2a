export * from './integrations.module';
export * from './integrations.service';
