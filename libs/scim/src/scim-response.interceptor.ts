import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { SCIM_CONTENT_TYPE } from './scim-error';
import { etagOf, ScimNoContent, ScimResourceResult } from './scim-http';
import { ScimPage } from './scim-list';

/**
 * Shapes what SCIM controllers return: a ScimPage becomes a ListResponse, a ScimResourceResult its body with
 * `ETag` (and `Location` on creation). Every answer is `application/scim+json`. A GET whose If-None-Match
 * matches the ETag is answered 304 by Express's freshness check.
 */
@Injectable()
export class ScimResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((result: unknown) => {
        // A handler that answered by itself (a 204) is done.
        if (res.headersSent) return undefined;
        res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
        if (result instanceof ScimPage) return result.toListResponse();
        if (result instanceof ScimResourceResult) {
          res.setHeader('ETag', result.etag);
          if (req.method === 'POST' && result.location) res.setHeader('Location', result.location);
          return result.body;
        }
        return result;
      }),
    );
  }
}

/**
 * For handlers whose status depends on the outcome (`@Res()`): a ScimNoContent is 204 with the new ETag,
 * a ScimResourceResult is 200 with its body.
 */
export function sendScimChange(res: Response, result: ScimResourceResult | ScimNoContent): void {
  res.setHeader('ETag', etagOf(result.version));
  if (result instanceof ScimNoContent) {
    res.status(204).end();
    return;
  }
  res.status(200).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.send(JSON.stringify(result.body));
}
