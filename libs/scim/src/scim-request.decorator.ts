import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestIdOf } from '@rollcall/common';
import type { ScimCaller } from '@rollcall/tokens';
import type { ScimRequestContext, ScimResourceRef } from '@rollcall/integrations';
import { isUuid } from './filter';
import { RESOURCE_PATH, scimPathOf, SEARCH_PATH } from './scim-error';

export interface ScimHttpRequest extends FastifyRequest {
  user?: ScimCaller;
  scimStartedAt?: number;
}

/** The request's context for the activity log, from what the guard and the SCIM middleware put on it. */
export function scimContextOf(req: ScimHttpRequest): ScimRequestContext | undefined {
  if (req.user?.kind !== 'scim') return undefined;
  return {
    caller: req.user,
    requestId: requestIdOf(req),
    method: req.method,
    path: scimPathOf(req),
    startedAt: req.scimStartedAt ?? performance.now(),
  };
}

/** What a request's path names: `User` or `Group` for `/Users…` and `/Groups…`, and the id that follows, if any. */
export function scimResourceOf(path: string): ScimResourceRef {
  const match = RESOURCE_PATH.exec(path);
  if (!match) return {};
  const [, collection, id] = match;
  return {
    resourceType: collection.toLowerCase() === 'users' ? 'User' : 'Group',
    resourceId: isUuid(id) ? id : undefined,
  };
}

/** A request that only reads: a GET or HEAD of any SCIM endpoint, or a POST to `/Users/.search` or `/Groups/.search`. */
export function isScimRead(req: { method: string; url: string }): boolean {
  const method = req.method;
  return method === 'GET' || method === 'HEAD' || (method === 'POST' && SEARCH_PATH.test(scimPathOf(req)));
}

/** The SCIM caller plus what the activity log needs about the request. */
export const ScimRequest = createParamDecorator((_: unknown, ctx: ExecutionContext): ScimRequestContext => {
  return scimContextOf(ctx.switchToHttp().getRequest<ScimHttpRequest>())!;
});

/** The raw query string parameters (SCIM's own rules apply, not the settings API's DTO validation). */
export const ScimQuery = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Record<string, unknown> =>
    (ctx.switchToHttp().getRequest<FastifyRequest>().query ?? {}) as Record<string, unknown>,
);

/** The raw JSON body, validated by the SCIM schema code rather than the settings API's DTO pipe. */
export const ScimBody = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<FastifyRequest>().body,
);
