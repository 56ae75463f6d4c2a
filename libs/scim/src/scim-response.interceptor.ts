import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, mergeMap, type Observable } from 'rxjs';
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
    const shaped = next.handle().pipe(map((result: unknown) => shape(result, req, reply)));
    // Every request but an integration's first reads goes on at once: one set look-up decides.
    if (req.user?.kind !== 'scim' || this.events.hasEvents(req.user.integrationId) || !isScimRead(req)) {
      return shaped;
    }
    return shaped.pipe(
      mergeMap(async (body: unknown) => {
        const ctx = scimContextOf(req)!;
        const status = reply.statusCode;
        if (status < 400) await this.events.recordFirstRead(ctx, status, scimResourceOf(ctx.path));
        return body;
      }),
    );
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
