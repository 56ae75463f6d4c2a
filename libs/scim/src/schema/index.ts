export * from './scim-schema.types';
export * from './scim-schemas';
export * from './discovery';
