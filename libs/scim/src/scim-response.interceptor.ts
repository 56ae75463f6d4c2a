import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { SCIM_CONTENT_TYPE } from './scim-error';
import { etagConditionHolds, parseEtagCondition, ScimNoContent, ScimResourceResult } from './scim-http';
import { ScimPage } from './scim-list';

/**
 * Shapes what SCIM controllers return: a ScimPage becomes a ListResponse, a ScimResourceResult its body with
 * `ETag` (and `Location` on creation), a ScimNoContent a 204 with the new `ETag`. Every body is
 * `application/scim+json`. A GET of one resource whose If-None-Match is `*` or names its current ETag is a 304
 * with the ETag and no body. Lists carry no ETag, so If-None-Match does not apply to them.
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

/** RFC 7232 §3.2: If-None-Match `*`, or a list naming the current version (weak comparison). */
function notModified(req: FastifyRequest, version: number): boolean {
  const condition = parseEtagCondition(req.headers['if-none-match']);
  return condition !== undefined && etagConditionHolds(condition, version);
}

function shape(result: unknown, req: FastifyRequest, reply: FastifyReply): unknown {
  if (result instanceof ScimNoContent) {
    reply.code(204).header('ETag', result.etag);
    return undefined;
  }
  if (result === undefined) return undefined;
  if (result instanceof ScimResourceResult) {
    reply.header('ETag', result.etag);
    if ((req.method === 'GET' || req.method === 'HEAD') && notModified(req, result.version)) {
      reply.code(304);
      return undefined;
    }
    reply.header('Content-Type', SCIM_CONTENT_TYPE);
    if (req.method === 'POST' && result.location) reply.header('Location', result.location);
    return result.toJson();
  }
  reply.header('Content-Type', SCIM_CONTENT_TYPE);
  if (result instanceof ScimPage) return JSON.stringify(result.toListResponse());
  return JSON.stringify(result);
}
