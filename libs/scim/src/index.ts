export * from './scim.module';
export { isScimRequest, sendScimError, SCIM_CONTENT_TYPE, SCIM_PATH } from './scim-error';
export { ScimException } from './scim.exception';
export { ScimExceptionFilter } from './scim-exception.filter';
