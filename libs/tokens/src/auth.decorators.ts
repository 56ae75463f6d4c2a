import { applyDecorators, createParamDecorator, type ExecutionContext, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, requestIdOf } from '@rollcall/common';
import { BearerGuard, KindGuard } from './auth.guards';
import type { Caller, PortalCaller, ScimCaller, TenantAdmin } from './caller';
import { CSRF_HEADER, PORTAL_COOKIE } from './portal-cookie';

/** Operator endpoints: `Authorization: Bearer $ROLLCALL_OPERATOR_TOKEN`. */
export const OperatorAuth = () =>
  applyDecorators(
    UseGuards(BearerGuard, KindGuard('operator')),
    ApiBearerAuth('operator'),
    ApiUnauthorizedResponse({ type: ApiErrorBody, description: 'Missing or invalid operator token' }),
  );

const SETTINGS_LIMITS = [
  ApiTooManyRequestsResponse({
    type: ApiErrorBody,
    description:
      'Over the admin token’s (or portal session’s) rate while other callers are served, or too many requests in flight; see Retry-After',
  }),
  ApiServiceUnavailableResponse({
    type: ApiErrorBody,
    description: 'The request ran out of time (database statement, lock or connection); see Retry-After',
  }),
];

/** What the portal's cookie and CSRF header look like in Swagger. */
const PORTAL_DOCS = [
  ApiCookieAuth('portal'),
  ApiHeader({
    name: CSRF_HEADER,
    required: false,
    description: `With the \`${PORTAL_COOKIE}\` cookie (\`__Host-${PORTAL_COOKIE}\` over https), on POST, PUT, PATCH and DELETE: the session's \`csrfToken\` (GET /api/v1/portal/session). Without it, or wrong: 403 \`forbidden\`, nothing changed.`,
  }),
  ApiForbiddenResponse({
    type: ApiErrorBody,
    description: 'Through the portal cookie: a state-changing request without the right X-CSRF-Token',
  }),
];

/**
 * Settings-API endpoints of one tenant: `Authorization: Bearer rc_adm_…`, or the admin portal's session
 * cookie (with `X-CSRF-Token` on state-changing requests). `{ portal: false }` refuses the portal (403): for
 * the routes that issue credentials (admin tokens, portal links), which must not outlive a session.
 */
export const AdminAuth = ({ portal = true }: { portal?: boolean } = {}) =>
  applyDecorators(
    UseGuards(BearerGuard, portal ? KindGuard('admin', 'portal') : KindGuard('admin')),
    ApiBearerAuth('admin'),
    ...(portal ? PORTAL_DOCS : []),
    ApiUnauthorizedResponse({
      type: ApiErrorBody,
      description: portal
        ? 'Missing, invalid, revoked or expired admin token, or an ended portal session'
        : 'Missing, invalid, revoked or expired admin token',
    }),
    ...(portal
      ? []
      : [
          ApiForbiddenResponse({
            type: ApiErrorBody,
            description: 'An admin-portal session may not call this',
          }),
        ]),
    ...SETTINGS_LIMITS,
  );

/** An admin token for its own tenant, or the operator for any tenant; never a portal session (403). */
export const AdminOrOperatorAuth = () =>
  applyDecorators(
    UseGuards(BearerGuard, KindGuard('admin', 'operator')),
    ApiBearerAuth('admin'),
    ApiBearerAuth('operator'),
    ApiUnauthorizedResponse({
      type: ApiErrorBody,
      description: 'Missing or invalid admin or operator token',
    }),
    ApiForbiddenResponse({ type: ApiErrorBody, description: 'An admin-portal session may not call this' }),
    ...SETTINGS_LIMITS,
  );

/** The admin portal's own endpoints: the `rollcall_portal` cookie only (a bearer token gets 401). */
export const PortalAuth = () =>
  applyDecorators(
    UseGuards(BearerGuard, KindGuard('portal')),
    ...PORTAL_DOCS,
    ApiUnauthorizedResponse({
      type: ApiErrorBody,
      description: 'No portal session, or it ended (revoked, logged out, or idle too long)',
    }),
    ...SETTINGS_LIMITS,
  );

/** SCIM endpoints of one integration: `Authorization: Bearer rc_scim_…`. */
export const ScimAuth = () => applyDecorators(UseGuards(BearerGuard, KindGuard('scim')));

function callerOf(ctx: ExecutionContext): Caller {
  return ctx.switchToHttp().getRequest<{ user: Caller }>().user;
}

/** The caller, whatever its kind, for a route that takes several (its guard has checked which). */
export const Authenticated = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller =>
  callerOf(ctx),
);

/** The caller of an `@AdminAuth()` route: an admin token, or a portal session when the route takes one. */
export const Admin = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantAdmin => {
  return callerOf(ctx) as TenantAdmin;
});

/** The caller of a `@PortalAuth()` route. */
export const Portal = createParamDecorator((_: unknown, ctx: ExecutionContext): PortalCaller => {
  return callerOf(ctx) as PortalCaller;
});

export const Scim = createParamDecorator((_: unknown, ctx: ExecutionContext): ScimCaller => {
  return callerOf(ctx) as ScimCaller;
});

/**
 * Who makes a settings-API change, for the audit log: the admin token, the operator or the portal session,
 * and the request id.
 */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor => {
  const caller = callerOf(ctx);
  const requestId = requestIdOf(ctx.switchToHttp().getRequest());
  switch (caller.kind) {
    case 'admin':
      return { kind: 'admin', tokenId: caller.tokenId, tokenHint: caller.tokenHint, requestId };
    case 'operator':
      return { kind: 'operator', requestId };
    case 'portal':
      return { kind: 'portal', sessionId: caller.sessionId, sessionHint: caller.sessionHint, requestId };
    case 'scim':
      throw new Error('A SCIM token makes no settings-API change');
  }
});
