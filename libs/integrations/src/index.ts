export * from './integrations.module';
export * from './integrations.service';
export { ActivityService } from './activity.service';
