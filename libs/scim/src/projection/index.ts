export * from './scim-projection';
