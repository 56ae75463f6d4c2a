import { applyDecorators, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ScimExceptionFilter } from './scim-exception.filter';
import { ScimResponseInterceptor } from './scim-response.interceptor';

export { ScimBody, ScimQuery, ScimRequest } from './scim-request.decorator';

/** What every SCIM controller shares: SCIM errors, SCIM responses, and no place in the settings API's Swagger. */
export const ScimControllerBase = (_resource: string) =>
  applyDecorators(
    ApiExcludeController(),
    UseFilters(ScimExceptionFilter),
    UseInterceptors(ScimResponseInterceptor),
  );
