import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { mergeMap, type Observable, of } from 'rxjs';
import { ScimEventsService } from '@rollcall/integrations';
import { SCIM_CONTENT_TYPE } from './scim-error';
import { etagConditionHolds, parseEtagCondition, ScimNoContent, ScimResourceResult } from './scim-http';
import { ScimPage } from './scim-list';
import { isScimRead, scimContextOf, type ScimHttpRequest, scimResourceOf } from './scim-request.decorator';

/**
 * Shapes what SCIM controllers return: a ScimPage becomes a ListResponse, a ScimResourceResult its body with
 * `ETag` (and `Location` on creation), a ScimNoContent a 204 with the new `ETag`. Every body is
 * `application/scim+json`. A GET of one resource whose If-None-Match is `*` or names its current ETag is a 304
 * with the ETag and no body. Lists carry no ETag, so If-None-Match does not apply to them.
 *
 * A successful read that may be its integration's first request is recorded in the activity log before the
 * answer goes out ({@link ScimEventsService.recordFirstRead}), so that whoever reads the log next sees it.
 */
@Injectable()
export class ScimResponseInterceptor implements NestInterceptor {
  constructor(private readonly events: ScimEventsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<ScimHttpRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      mergeMap((result: unknown) => {
        const body = shape(result, req, reply);
        const recorded = this.firstRead(req, reply.statusCode);
        return recorded ? recorded.then(() => body) : of(body);
      }),
    );
  }

  private firstRead(req: ScimHttpRequest, status: number): Promise<void> | undefined {
    if (status >= 400 || !isScimRead(req)) return undefined;
    const ctx = scimContextOf(req);
    return ctx && this.events.recordFirstRead(ctx, status, scimResourceOf(ctx.path));
  }
}

/** RFC 7232 §3.2: If-None-Match `*`, or a list naming the current version (weak comparison). */
function notModified(req: ScimHttpRequest, version: number): boolean {
  const condition = parseEtagCondition(req.headers['if-none-match']);
  return condition !== undefined && etagConditionHolds(condition, version);
}

function shape(result: unknown, req: ScimHttpRequest, reply: FastifyReply): unknown {
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
