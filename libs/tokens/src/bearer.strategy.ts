import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
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
   * Only the `Authorization` header counts: passport-http-bearer would also take `access_token` from the
   * query string or the body, where a token ends up in logs and histories. The admission step before the
   * body has already authenticated the header's token: its caller is reused, not looked up again.
   */
  async validate(req: AdmittedRequest, token: string): Promise<Caller | false> {
    if (token !== bearerTokenOf(req)) return false;
    return req.user ?? (await this.tokens.authenticate(token)) ?? false;
  }
}
