import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '@rollcall/common';

/** The admin portal's session cookie: it holds the session's secret (`rc_ps_…`). */
export const PORTAL_COOKIE = 'rollcall_portal';
/** The header a state-changing request through the portal cookie carries: the session's CSRF token. */
export const CSRF_HEADER = 'X-CSRF-Token';
/** Methods that change nothing, and so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The portal session's secret from a request's parsed cookies, if it has one. */
export function portalSecretOf(req: {
  cookies?: Record<string, string | undefined> | null;
}): string | undefined {
  const secret = req.cookies?.[PORTAL_COOKIE];
  return secret ? secret : undefined;
}

/**
 * The session's CSRF token, derived from its secret (so nothing more is stored): a page that can read its
 * own session (GET /api/v1/portal/session) learns it; another site, which can neither read the cookie nor
 * that answer, cannot. The token does not reveal the secret (SHA-256, domain-separated from the stored hash).
 */
export function csrfTokenFor(secret: string): string {
  return createHash('sha256').update(`rollcall-portal-csrf\n${secret}`, 'utf8').digest('base64url');
}

/** Whether a request of `method` with CSRF header `header` may go ahead for the session of `secret`. */
export function csrfAllows(method: string, header: string | string[] | undefined, secret: string): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  if (typeof header !== 'string') return false;
  const given = Buffer.from(header, 'utf8');
  const expected = Buffer.from(csrfTokenFor(secret), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The cookie's attributes: HttpOnly, SameSite=Strict, Path=/, Secure when PUBLIC_URL is https; Max-Age is the
 * idle time, and every request through the session sets it again, so the browser forgets the cookie when the
 * server forgets the session.
 */
function cookieOptions(config: AppConfig): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: config.publicUrl.startsWith('https:'),
    maxAge: config.portal.sessionIdleSeconds,
  };
}

export function setPortalCookie(reply: FastifyReply, secret: string, config: AppConfig): void {
  reply.setCookie(PORTAL_COOKIE, secret, cookieOptions(config));
}

export function clearPortalCookie(reply: FastifyReply, config: AppConfig): void {
  const { maxAge: _maxAge, ...rest } = cookieOptions(config);
  reply.clearCookie(PORTAL_COOKIE, rest);
}
