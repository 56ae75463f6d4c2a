import { type INestApplication, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiErrorCode,
  ApiException,
  APP_CONFIG,
  type AppConfig,
  Semaphore,
  sendApiError,
} from '@rollcall/common';
import { isScimBulkRequest, isScimRequest } from '@rollcall/scim';
import { AdmissionService, answerRejection, portalSecretOf, setPortalCookie } from '@rollcall/tokens';

/** `/api/v1` in any spelling (routes match whatever the case). */
const SETTINGS_API = /^\/api\/v1(?=[/?]|$)/i;
/**
 * A large body must arrive within this time once its turn has come (at least 200 KiB/s for 1 MiB), so that a
 * client sending slowly cannot hold one of the few places for large bodies for long.
 */
const LARGE_BODY_READ_MS = 5_000;
/** Bodies larger than this, or of unknown length, count as large. */
const LARGE_BODY_BYTES = 64 * 1024;

const CODES: Record<number, ApiErrorCode> = {
  401: ApiErrorCode.Unauthorized,
  403: ApiErrorCode.Forbidden,
  429: ApiErrorCode.TooManyRequests,
  503: ApiErrorCode.ServiceUnavailable,
};

type Done = (err?: Error) => void;

/** The paths whose requests pass an admission step (a known caller within its limits): the only ones with bodies. */
function isApiRequest(request: FastifyRequest): boolean {
  return SETTINGS_API.test(request.url) || isScimRequest(request);
}

/**
 * The settings API's admission step, before its body is read: the admin (or operator) token, or else the
 * admin portal's session cookie (with its CSRF token on a change), must be good, and the caller stays within
 * its limits (401, 403, 429 with Retry-After, 503). The guards still decide which kind of caller each route
 * takes. The portal's cookie is read here only, for the settings API (the SCIM API never reads it).
 */
export function useSettingsApiAdmission(app: INestApplication, instance: FastifyInstance): void {
  const admission = app.get(AdmissionService);
  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = new Logger('HTTP');
  instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    if (!SETTINGS_API.test(request.url)) return done();
    admission.admitSettings(request, reply.raw).then(
      (result) => {
        if (result.admitted) {
          // Each request through the session keeps its cookie as long as the session.
          if (result.caller.kind === 'portal')
            setPortalCookie(reply, portalSecretOf(request, config)!, config);
          return done();
        }
        const error = new ApiException(result.status, CODES[result.status], result.detail);
        answerRejection(result, reply, () => sendApiError(error, request, reply, logger));
      },
      (e: unknown) => sendApiError(e, request, reply, logger),
    );
  });
}

/**
 * Large bodies (over 64 KiB, or of unknown length) are read and handled a few at a time, process-wide:
 * a parsed 1 MiB JSON body costs tens of MiB of heap, so this bound is what keeps memory within the heap
 * limit whatever the clients send at once. A /Bulk body may be larger than BODY_LIMIT_BYTES: it takes one place
 * per BODY_LIMIT_BYTES it may hold (every place when its length is unknown), so that the bodies handled at once
 * never hold more than LARGE_BODY_CONCURRENCY × BODY_LIMIT_BYTES. The others wait, unread, in their sockets; a
 * body that does not arrive within LARGE_BODY_READ_MS of its turn ends its connection.
 */
export function useLargeBodyGate(instance: FastifyInstance, config: AppConfig): void {
  const gate = new Semaphore(config.limits.largeBodyConcurrency);
  instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const length = Number(request.headers['content-length'] ?? 0);
    const large = length > LARGE_BODY_BYTES || request.headers['transfer-encoding'] !== undefined;
    if (!large || reply.raw.destroyed || !isApiRequest(request)) return done();
    const places = !isScimBulkRequest(request)
      ? 1
      : length > 0
        ? Math.ceil(length / config.bodyLimitBytes)
        : Math.ceil(config.scimBulkMaxPayloadBytes / config.bodyLimitBytes);
    void gate.acquire(places).then((release) => {
      if (reply.raw.destroyed) return release();
      const slow = setTimeout(() => request.raw.destroy(), LARGE_BODY_READ_MS);
      request.raw.once('end', () => clearTimeout(slow));
      reply.raw.once('close', () => {
        clearTimeout(slow);
        release();
      });
      done();
    });
  });
}
