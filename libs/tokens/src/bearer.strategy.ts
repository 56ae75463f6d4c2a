import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { type AdmittedRequest, bearerTokenOf } from './admission.service';
import type { Caller } from './caller';
import { TokensService } from './tokens.service';

type PassportRequest = Parameters<InstanceType<typeof Strategy>['authenticate']>[0];

/** What passport is shown for a request without a usable token. */
const NO_TOKEN = { headers: {} };
/** The header passport is shown for a request whose caller the admission step has already found. */
const ADMITTED_HEADERS = { authorization: 'Bearer admitted' };

/** The one bearer strategy: a token becomes an operator, admin or SCIM caller, or the request fails. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: TokensService) {
    super({ passReqToCallback: true });
  }

  /**
   * Only the `Authorization` header counts. passport-http-bearer would also take `access_token` from the
   * query string or the body (where a token ends up in logs and histories), refuse a request that merely
   * has a parameter of that name beside the header, and refuse `Bearer` followed by two spaces (which RFC
   * 6750 allows): it is shown the header's token alone, in its plain form.
   */
  override authenticate(req: PassportRequest, options?: object): void {
    super.authenticate(shownToPassport(req as unknown as AdmittedRequest) as never, options);
  }

  /** The admission step before the body has already authenticated the token: its caller is reused. */
  async validate(req: AdmittedRequest, token: string): Promise<Caller | false> {
    return req.user ?? (await this.tokens.authenticate(token)) ?? false;
  }
}

/**
 * The request as passport-http-bearer sees it: the caller the admission step found (nothing to read or
 * hash again), or else the header's token alone.
 */
function shownToPassport(req: AdmittedRequest): AdmittedRequest {
  if (req.user) return { headers: ADMITTED_HEADERS, user: req.user };
  const token = bearerTokenOf(req);
  return token === undefined ? NO_TOKEN : { headers: { authorization: `Bearer ${token}` } };
}
