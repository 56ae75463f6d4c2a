export * from './integrations.module';
export * from './integrations.service';
export { ActivityService } from './activity.service';
export {
  eventValues,
  ScimEventsService,
  withEvent,
  type ScimEventStatement,
  type ScimFailure,
  type ScimRequestContext,
  type ScimResourceRef,
  type ScimUnchanged,
} from './scim-events.service';
