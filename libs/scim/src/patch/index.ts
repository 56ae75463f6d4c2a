export * from './apply-patch';
export * from './member-changes';
export * from './value-filter';
export * from './patch-assignments';
