import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { APP_CONFIG, type AppConfig, Metrics } from '@rollcall/common';
import { Admission, type RefusalReason } from './admission';
import { requiresKindMessage } from './auth.guards';
import type { Caller, CallerKind } from './caller';
import { csrfAllows, CSRF_HEADER, portalSecretOf } from './portal-cookie';
import { PortalService } from './portal.service';
import { TokensService } from './tokens.service';

/** What keeps a request out, and how to tell its client. */
export interface Rejection {
  status: 401 | 403 | 429 | 503;
  reason: 'unauthenticated' | 'csrf' | RefusalReason | 'queue-timeout';
  detail: string;
  retryAfterSeconds?: number;
  /** The caller, when the token was good (for the activity log). */
  caller?: Caller;
}

export type AdmissionResult = { admitted: true; caller: Caller } | ({ admitted: false } & Rejection);

/**
 * A refusal (429) is answered after this pause, so that a client that ignores Retry-After and asks again at
 * once sends at most a couple of requests a second per connection; waiting costs the server nothing.
 */
const REFUSAL_PAUSE_MS = 500;

/** Sends a rejection's answer: a 429 after REFUSAL_PAUSE_MS (unless the client has gone), anything else now. */
export function answerRejection(rejection: Rejection, reply: FastifyReply, send: () => void): void {
  if (rejection.retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(rejection.retryAfterSeconds));
  }
  if (rejection.status !== 429) return send();
  const timer = setTimeout(send, REFUSAL_PAUSE_MS);
  reply.raw.once('close', () => clearTimeout(timer));
}

/** A request as the admission step sees it: its headers, and the caller it is given. */
export interface AdmittedRequest {
  headers: IncomingHttpHeaders;
  user?: Caller;
}

/** A settings-API request: its method and its Cookie header count too (the admin portal's session). */
export interface SettingsRequest extends AdmittedRequest {
  method: string;
}

/** The only place a token is read from: the `Authorization` header, never a query string or a body. */
export function bearerTokenOf(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header.length > 512) return undefined;
  return /^Bearer +([\x21-\x7e]+) *$/i.exec(header)?.[1];
}

/**
 * The first thing a request to the SCIM or settings API meets, before its body is read: the bearer token
 * becomes a caller, and the caller's limits decide whether the request runs now, waits its turn, or is
 * refused. The guards still check the caller's kind per route; this only keeps work out early.
 */
@Injectable()
export class AdmissionService {
  private readonly admission = new Admission();

  constructor(
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly portal: PortalService,
  ) {}

  /**
   * Admits a settings-API request: by its bearer token as `admit` does, or, without an `Authorization`
   * header, by the admin portal's session cookie. Through the cookie, a state-changing request must carry
   * the session's CSRF token (403 otherwise, before anything is read or changed).
   */
  async admitSettings(req: SettingsRequest, res: ServerResponse): Promise<AdmissionResult> {
    const secret = req.headers.authorization === undefined ? portalSecretOf(req, this.config) : undefined;
    if (secret === undefined) return this.admit(req, res);
    const caller = await this.portal.authenticate(secret);
    if (!caller) {
      return {
        admitted: false,
        status: 401,
        reason: 'unauthenticated',
        detail:
          'The admin-portal session has ended (logged out, revoked or idle too long); open a new portal link',
      };
    }
    if (!csrfAllows(req.method, req.headers[CSRF_HEADER.toLowerCase()], secret)) {
      return {
        admitted: false,
        status: 403,
        reason: 'csrf',
        detail: `A change through the admin portal needs the session's CSRF token in the ${CSRF_HEADER} header`,
        caller,
      };
    }
    req.user = caller;
    return this.admitCaller(caller, res);
  }

  /**
   * Admits `req` for a caller of `kind` (any kind when undefined). The request's place is given back when
   * `res` closes, whatever happens to it.
   */
  async admit(req: AdmittedRequest, res: ServerResponse, kind?: CallerKind): Promise<AdmissionResult> {
    const token = bearerTokenOf(req);
    const caller = token === undefined ? undefined : await this.tokens.authenticate(token);
    if (!caller || (kind !== undefined && caller.kind !== kind)) {
      return {
        admitted: false,
        status: 401,
        reason: 'unauthenticated',
        detail: caller && kind ? requiresKindMessage(kind) : 'A valid bearer token is required',
      };
    }
    req.user = caller;
    return this.admitCaller(caller, res);
  }

  /**
   * The caller's limits: it runs now, waits its turn, or is refused. Synchronous unless the request must wait
   * (no second promise for its async callers to adopt on every request).
   */
  private admitCaller(caller: Caller, res: ServerResponse): AdmissionResult | Promise<AdmissionResult> {
    if (caller.kind === 'operator') return { admitted: true, caller };
    const ticket =
      caller.kind === 'scim'
        ? this.admission.admit(`scim:${caller.integrationId}`, this.config.limits.scim)
        : caller.kind === 'admin'
          ? this.admission.admit(`admin:${caller.tokenId}`, this.config.limits.admin)
          : this.admission.admit(`portal:${caller.sessionId}`, this.config.limits.admin);
    const api = caller.kind === 'scim' ? 'scim' : 'settings';
    if (!ticket.admitted) {
      res.once('close', ticket.release);
      this.metrics.rateLimitedRequest(api, ticket.reason);
      return {
        admitted: false,
        status: 429,
        reason: ticket.reason,
        retryAfterSeconds: ticket.retryAfterSeconds,
        detail: ticket.detail,
        caller,
      };
    }
    res.once('close', ticket.release);
    if (!ticket.turn) return { admitted: true, caller };
    return this.waitTurn(ticket.turn, res, ticket.release).then((started): AdmissionResult => {
      if (started) return { admitted: true, caller };
      this.metrics.queueTimedOut(api);
      return {
        admitted: false,
        status: 503,
        reason: 'queue-timeout',
        retryAfterSeconds: 1,
        detail: 'The server is busy with this token’s earlier requests; try again shortly',
        caller,
      };
    });
  }

  /**
   * An extra running place for an integration whose request is running (a /Bulk request's next operation in
   * parallel), when it makes no request wait: see Admission.borrow. Undefined: run the operation in turn.
   */
  borrowScimPlace(integrationId: string): (() => void) | undefined {
    return this.admission.borrow(`scim:${integrationId}`);
  }

  /** Requests of an integration in flight (running and waiting) on this instance. */
  integrationInFlight(integrationId: string): number {
    return this.admission.inFlight(`scim:${integrationId}`);
  }

  /**
   * Waits for a queued request's turn: false when the client leaves first, or when the wait outlasts the
   * time a client is given to send a whole request.
   */
  private async waitTurn(turn: Promise<void>, res: ServerResponse, release: () => void): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const givenUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.timeouts.httpRequestMs);
      onClose = () => resolve(false);
      res.once('close', onClose);
    });
    const started = await Promise.race([turn.then(() => true as const), givenUp]);
    clearTimeout(timer);
    res.off('close', onClose!);
    if (!started) release();
    return started && !res.destroyed;
  }
}
