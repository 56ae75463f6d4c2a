import { HttpException, type Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiException, BodyError, isDatabaseTimeout, requestIdOf } from '@rollcall/common';
import { SCIM_SCHEMAS, type ScimErrorType } from './schema/scim-schema.types';
import { ScimException } from './scim.exception';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** `/scim/v2` in any spelling: routes match whatever the case, so every early check must too. */
export const SCIM_PATH = /^\/scim\/v2(?=[/?]|$)/i;

export function isScimRequest(req: { url: string }): boolean {
  return SCIM_PATH.test(req.url);
}

/** The path below /scim/v2 (`/Users/…`), without the query string; `/` for the base URL itself. */
export function scimPathOf(req: { url: string }): string {
  const path = req.url.split('?', 1)[0];
  return path.replace(SCIM_PATH, '') || '/';
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimErrorType;
  detail: string;
}

/** What an RFC 7644 §3.12 error says. */
export interface ScimError {
  status: number;
  scimType?: ScimErrorType;
  detail: string;
}

/** Maps any error to an RFC 7644 §3.12 error. */
export function toScimError(e: unknown): ScimError {
  if (e instanceof ScimException) return { status: e.status, scimType: e.scimType, detail: e.detail };
  if (isDatabaseTimeout(e)) {
    return { status: 503, detail: 'The request ran out of time; try again shortly' };
  }
  if (e instanceof BodyError) {
    const scimType =
      e.status !== 400 ? undefined : e.type === 'entity.too.deep' ? 'invalidValue' : 'invalidSyntax';
    return { status: e.status, scimType, detail: e.message };
  }
  if (e instanceof ApiException) {
    return { status: Number(e.status), detail: e.message };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    if (status === 401) return { status, detail: 'A valid SCIM bearer token is required' };
    if (status === 404)
      return { status, detail: /^Cannot /.test(e.message) ? 'No such SCIM endpoint' : e.message };
    if (status >= 500) return { status, detail: 'Internal server error' };
    return { status, detail: e.message };
  }
  return { status: 500, detail: 'Internal server error' };
}

export function sendScimError(
  exception: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  logger?: Logger,
): void {
  let error = toScimError(exception);
  const allowed = allowedMethods(scimPathOf(req));
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  // A route of a known endpoint that the method did not find: the method is wrong (405), not the path.
  if (error.status === 404 && exception instanceof HttpException && allowed && !allowed.includes(method)) {
    error = { status: 405, detail: `${req.method} is not allowed here; use ${allowed.join(', ')}` };
  }
  if (error.status === 405 && allowed) reply.header('Allow', allowed.join(', '));
  const requestId = requestIdOf(req);
  if (error.status >= 500) logger?.error({ err: exception, requestId }, 'Unhandled SCIM error');
  if (reply.sent || reply.raw.headersSent) return;
  if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="scim"');
  if (error.status === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '1');
  reply
    .code(error.status)
    .type(SCIM_CONTENT_TYPE)
    .send(JSON.stringify(scimErrorBody(error)));
}

/** The body of an error answer (alone, or as a /Bulk operation's `response`). */
export function scimErrorBody(error: ScimError): ScimErrorBody {
  return {
    schemas: [SCIM_SCHEMAS.error],
    status: String(error.status),
    ...(error.scimType && { scimType: error.scimType }),
    detail: shortened(error.detail),
  };
}

/** A detail may quote what the client sent (an attribute name, a path); an answer never grows with it. */
const MAX_DETAIL_LENGTH = 1000;

export function shortened(detail: string): string {
  return detail.length <= MAX_DETAIL_LENGTH ? detail : `${detail.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}

/** `/Bulk` (like every path below /scim/v2 here, in any case: routes match whatever the case). */
export const BULK_PATH = /^\/Bulk\/?$/i;
/** `/Users/.search` or `/Groups/.search`. */
export const SEARCH_PATH = /^\/(Users|Groups)\/\.search\/?$/i;
/** `/Users` or `/Groups`, and the segment that follows it (a resource's id), if any. */
export const RESOURCE_PATH = /^\/(Users|Groups)(?:\/([^/]*))?(?:\/|$)/i;

/** The SCIM routes and their methods, to tell a wrong method (405) from an unknown path (404). */
const ROUTES: [RegExp, string[]][] = [
  [/^\/(Users|Groups)\/?$/i, ['GET', 'POST']],
  [SEARCH_PATH, ['POST']],
  [/^\/(Users|Groups)\/[^/]+\/?$/i, ['GET', 'PUT', 'PATCH', 'DELETE']],
  [/^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/[^/]+)?\/?$/i, ['GET']],
  [BULK_PATH, ['POST']],
];

/** The methods of the SCIM endpoint at `path` (below /scim/v2), or undefined for no such endpoint. */
export function allowedMethods(path: string): string[] | undefined {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1];
}
