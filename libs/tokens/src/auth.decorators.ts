import { applyDecorators, createParamDecorator, type ExecutionContext, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, requestIdOf } from '@rollcall/common';
import { BearerGuard, KindGuard } from './auth.guards';
import type { AdminCaller, Caller, ScimCaller } from './caller';

/** Operator endpoints: `Authorization: Bearer $ROLLCALL_OPERATOR_TOKEN`. */
export const OperatorAuth = () =>
  applyDecorators(
    UseGuards(BearerGuard, KindGuard('operator')),
    ApiBearerAuth('operator'),
    ApiUnauthorizedResponse({ type: ApiErrorBody, description: 'Missing or invalid operator token' }),
  );

/** Settings-API endpoints of one tenant: `Authorization: Bearer rc_adm_…`. */
export const AdminAuth = () =>
  applyDecorators(
    UseGuards(BearerGuard, KindGuard('admin')),
    ApiBearerAuth('admin'),
    ApiUnauthorizedResponse({
      type: ApiErrorBody,
      description: 'Missing, invalid, revoked or expired admin token',
    }),
    ApiTooManyRequestsResponse({
      type: ApiErrorBody,
      description:
        'Over the admin token’s rate while other callers are served, or too many requests in flight; see Retry-After',
    }),
    ApiServiceUnavailableResponse({
      type: ApiErrorBody,
      description: 'The request ran out of time (database statement, lock or connection); see Retry-After',
    }),
  );

/** SCIM endpoints of one integration: `Authorization: Bearer rc_scim_…`. */
export const ScimAuth = () => applyDecorators(UseGuards(BearerGuard, KindGuard('scim')));

function callerOf(ctx: ExecutionContext): Caller {
  return ctx.switchToHttp().getRequest<{ user: Caller }>().user;
}

export const Admin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminCaller => {
  return callerOf(ctx) as AdminCaller;
});

export const Scim = createParamDecorator((_: unknown, ctx: ExecutionContext): ScimCaller => {
  return callerOf(ctx) as ScimCaller;
});

/** Who makes a settings-API change, for the audit log: the admin token or the operator, and the request id. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor => {
  const caller = callerOf(ctx);
  const requestId = requestIdOf(ctx.switchToHttp().getRequest());
  switch (caller.kind) {
    case 'admin':
      return { kind: 'admin', tokenId: caller.tokenId, tokenHint: caller.tokenHint, requestId };
    case 'operator':
      return { kind: 'operator', requestId };
    case 'scim':
      throw new Error('A SCIM token makes no settings-API change');
  }
});
