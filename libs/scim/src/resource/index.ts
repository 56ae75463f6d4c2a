export * from './key-index';
export * from './normalize-resource';
export * from './scim-value';
export * from './scim-changes';
