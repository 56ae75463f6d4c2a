import { type INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiErrorCode, ApiException, type AppConfig, Semaphore, sendApiError } from '@rollcall/common';
import { SCIM_PATH } from '@rollcall/scim';
import { AdmissionService, answerRejection } from '@rollcall/tokens';

/** `/api/v1` in any spelling (routes match whatever the case). */
const SETTINGS_API = /^\/api\/v1(?=[/?]|$)/i;
/** The paths whose requests pass the admission step (a known caller within its limits): the only ones with bodies. */
export const API_PATHS = [SETTINGS_API, SCIM_PATH];
/**
 * A large body must arrive within this time once its turn has come (at least 200 KiB/s for 1 MiB), so that a
 * client sending slowly cannot hold one of the few places for large bodies for long.
 */
const LARGE_BODY_READ_MS = 5_000;
/** Bodies larger than this, or of unknown length, count as large. */
const LARGE_BODY_BYTES = 64 * 1024;

const CODES: Record<number, ApiErrorCode> = {
  401: ApiErrorCode.Unauthorized,
  429: ApiErrorCode.TooManyRequests,
  503: ApiErrorCode.ServiceUnavailable,
};

/**
 * The settings API's admission step, before its body is read: the admin (or operator) token must be good,
 * and an admin token stays within its limits (401, 429 with Retry-After, 503). The guards still decide
 * which kind of token each route takes.
 */
export function useSettingsApiAdmission(app: INestApplication): void {
  const admission = app.get(AdmissionService);
  const logger = new Logger('HTTP');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!SETTINGS_API.test(req.originalUrl ?? req.url)) return next();
    void admission.admit(req, res).then(
      (result) => {
        if (result.admitted) return next();
        const error = new ApiException(result.status, CODES[result.status], result.detail);
        answerRejection(result, res, () => sendApiError(error, req, res, logger));
      },
      (e: unknown) => sendApiError(e, req, res, logger),
    );
  });
}

/**
 * Large bodies (over 64 KiB, or of unknown length) are read and handled a few at a time, process-wide:
 * a parsed 1 MiB JSON body costs tens of MiB of heap, so this bound is what keeps memory within the heap
 * limit whatever the clients send at once. The others wait, unread, in their sockets; a body that does not
 * arrive within LARGE_BODY_READ_MS of its turn ends its connection.
 */
export function useLargeBodyGate(app: INestApplication, config: AppConfig): void {
  const gate = new Semaphore(config.limits.largeBodyConcurrency);
  app.use(API_PATHS, (req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.headers['content-length'] ?? 0);
    const large = length > LARGE_BODY_BYTES || req.headers['transfer-encoding'] !== undefined;
    if (!large || res.destroyed) return next();
    void gate.acquire().then((release) => {
      if (res.destroyed) return release();
      const slow = setTimeout(() => req.destroy(), LARGE_BODY_READ_MS);
      req.once('end', () => clearTimeout(slow));
      res.once('close', () => {
        clearTimeout(slow);
        release();
      });
      next();
    });
  });
}
