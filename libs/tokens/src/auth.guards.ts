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
};

/** What a valid token of the wrong kind is told. */
export function requiresKindMessage(kind: CallerKind): string {
  return `This endpoint requires ${WHO[kind]}`;
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

/** Refuses a valid token of another kind: an admin token cannot call the SCIM API, and so on. */
export function KindGuard(kind: CallerKind): Type<CanActivate> {
  class Guard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const caller = context.switchToHttp().getRequest<{ user?: Caller }>().user;
      if (caller?.kind !== kind) {
        throw new ApiException(HttpStatus.UNAUTHORIZED, ApiErrorCode.Unauthorized, requiresKindMessage(kind));
      }
      return true;
    }
  }
  return mixin(Guard);
}
