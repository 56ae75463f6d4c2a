import { applyDecorators, Param, type PipeTransform, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { parseAttributeList } from './projection';
import { ScimExceptionFilter } from './scim-exception.filter';
import { ScimException } from './scim.exception';
import { ScimResponseInterceptor } from './scim-response.interceptor';

export { ScimBody, ScimQuery, ScimRequest } from './scim-request.decorator';

/** What every SCIM controller shares: SCIM errors, SCIM responses, and no place in the settings API's Swagger. */
export const ScimControllerBase = (_resource: string) =>
  applyDecorators(
    ApiExcludeController(),
    UseFilters(ScimExceptionFilter),
    UseInterceptors(ScimResponseInterceptor),
  );

/** `attributes` / `excludedAttributes` of a single-resource request. */
export function projectionOf(q: Record<string, unknown>): {
  attributes?: string;
  excludedAttributes?: string;
} {
  const read = (name: string): string | undefined => {
    const key = Object.keys(q).find((k) => k.toLowerCase() === name.toLowerCase());
    const v = key === undefined ? undefined : q[key];
    return typeof v === 'string'
      ? parseAttributeList(v).join(',')
      : Array.isArray(v)
        ? v.join(',')
        : undefined;
  };
  return { attributes: read('attributes'), excludedAttributes: read('excludedAttributes') };
}

/** `/Users/.search` and `/Groups/.search` take only POST: other methods must not reach the `:id` routes. */
class ResourceIdPipe implements PipeTransform<string, string> {
  transform(id: string): string {
    if (id.toLowerCase() === '.search') throw new ScimException(405, undefined, '.search only takes POST');
    return id;
  }
}

/** The `:id` of a SCIM resource route. */
export const ScimId = () => Param('id', new ResourceIdPipe());
