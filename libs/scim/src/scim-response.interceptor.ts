import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { SCIM_CONTENT_TYPE } from './scim-error';
import { etagMatches, ScimNoContent, ScimResourceResult } from './scim-http';
import { ScimPage } from './scim-list';

/**
 * Shapes what SCIM controllers return: a ScimPage becomes a ListResponse, a ScimResourceResult its body with
 * `ETag` (and `Location` on creation), a ScimNoContent a 204 with the new `ETag`. Every body is
 * `application/scim+json`. A GET whose If-None-Match names the current ETag is a 304 without a body.
 */
@Injectable()
export class ScimResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return next
      .handle()
      .pipe(
        map((result: unknown) =>
          shape(result, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>()),
        ),
      );
  }
}

function shape(result: unknown, req: FastifyRequest, reply: FastifyReply): unknown {
  if (result instanceof ScimNoContent) {
    reply.code(204).header('ETag', result.etag);
    return undefined;
  }
  if (result === undefined) return undefined;
  reply.header('Content-Type', SCIM_CONTENT_TYPE);
  if (result instanceof ScimPage) return JSON.stringify(result.toListResponse());
  if (result instanceof ScimResourceResult) {
    reply.header('ETag', result.etag);
    if (req.method === 'POST' && result.location) reply.header('Location', result.location);
    if (
      (req.method === 'GET' || req.method === 'HEAD') &&
      etagMatches(req.headers['if-none-match'], result.version)
    ) {
      reply.code(304);
      return undefined;
    }
    return result.toJson();
  }
  return JSON.stringify(result);
}
