import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Injectable,
  mixin,
  Type,
  UnauthorizedException,
} from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiErrorCode, ApiException } from '@rollcall/common';
import type { Caller, CallerKind } from './caller';

const WHO: Record<CallerKind, string> = {
  operator: 'the operator token',
  admin: 'an admin token',
  scim: "the integration's SCIM token",
  portal: 'an admin-portal session',
};

/** What a valid caller of the wrong kind is told. */
export function requiresKindMessage(...kinds: CallerKind[]): string {
  return `This endpoint requires ${kinds.map((k) => WHO[k]).join(' or ')}`;
}

/** Runs the bearer strategy; a missing, malformed, unknown, revoked or expired token is a 401. */
@Injectable()
export class BearerGuard extends AuthGuard('bearer') {
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err instanceof Error ? err : new UnauthorizedException();
    if (!user) throw new UnauthorizedException('A valid bearer token is required');
    return user;
  }
}

/**
 * Refuses a valid caller of another kind: an admin token cannot call the SCIM API, and so on (401). A portal
 * session is refused with 403: it is the tenant's admin, but may not use this endpoint (the operator API,
 * or one that issues credentials, which would outlive the session).
 */
export function KindGuard(...kinds: CallerKind[]): Type<CanActivate> {
  class Guard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const caller = context.switchToHttp().getRequest<{ user?: Caller }>().user;
      if (caller && kinds.includes(caller.kind)) return true;
      if (caller?.kind === 'portal') {
        throw new ApiException(
          HttpStatus.FORBIDDEN,
          ApiErrorCode.Forbidden,
          'An admin-portal session cannot use this endpoint; ' + requiresKindMessage(...kinds).toLowerCase(),
        );
      }
      throw new ApiException(
        HttpStatus.UNAUTHORIZED,
        ApiErrorCode.Unauthorized,
        requiresKindMessage(...kinds),
      );
    }
  }
  return mixin(Guard);
}
