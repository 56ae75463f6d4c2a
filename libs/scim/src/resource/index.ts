export * from './normalize-resource';
export * from './scim-value';
