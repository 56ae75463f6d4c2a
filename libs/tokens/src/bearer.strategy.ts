import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-http-bearer';
import { bearerTokenOf } from './admission.service';
import type { Caller } from './caller';
import { TokensService } from './tokens.service';

type AdmittedRequest = IncomingMessage & { user?: Caller };

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
  override authenticate(req: Request, options?: object): void {
    const token = bearerTokenOf(req);
    const headerOnly = {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      user: (req as AdmittedRequest).user,
    };
    super.authenticate(headerOnly as unknown as Request, options);
  }

  /** The admission step before the body has already authenticated the token: its caller is reused. */
  async validate(req: AdmittedRequest, token: string): Promise<Caller | false> {
    return req.user ?? (await this.tokens.authenticate(token)) ?? false;
  }
}
