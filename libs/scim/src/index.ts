export * from './scim.module';
export { isScimRequest } from './scim-error';
export { ScimException } from './scim.exception';
export { ScimExceptionFilter } from './scim-exception.filter';
