export * from './groups.module';
export * from './groups.service';
export { GroupDto } from './group.dto';
export * from './memberships';
export * from './pushed-groups';
