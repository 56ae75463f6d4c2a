import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '@rollcall/common';

/**
 * The admin portal's session cookie: it holds the session's secret (`rc_ps_…`). Over https it is
 * `__Host-rollcall_portal`: a browser takes a `__Host-` cookie only from this very host, Secure, with Path=/ and
 * no Domain, so a sibling subdomain cannot plant a session of its own choosing in it (session fixation).
 */
export const PORTAL_COOKIE = 'rollcall_portal';
const HOST_PORTAL_COOKIE = `__Host-${PORTAL_COOKIE}`;

/** The cookie's name under this configuration. */
export function portalCookieName(config: AppConfig): string {
  return isHttps(config) ? HOST_PORTAL_COOKIE : PORTAL_COOKIE;
}

function isHttps(config: AppConfig): boolean {
  return config.publicUrl.startsWith('https:');
}

/** The header a state-changing request through the portal cookie carries: the session's CSRF token. */
export const CSRF_HEADER = 'X-CSRF-Token';
/** Methods that change nothing, and so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The portal session's secret from a request's Cookie header, if it has one, under the configured name only.
 * Only the settings API reads it (the SCIM API never looks at cookies), so no request pays for parsing cookies
 * it does not use.
 */
export function portalSecretOf(req: { headers: IncomingHttpHeaders }, config: AppConfig): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  // The cookie's value is a token (base62 and `_`): nothing in it needs decoding.
  const secret = (isHttps(config) ? HOST_COOKIE_VALUE : COOKIE_VALUE).exec(header)?.[1];
  return secret ? secret : undefined;
}

const COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${PORTAL_COOKIE}=([^;\\s]*)`);
const HOST_COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${HOST_PORTAL_COOKIE}=([^;\\s]*)`);

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
 * The cookie with its attributes: HttpOnly, SameSite=Strict, Path=/, Secure when PUBLIC_URL is https; Max-Age is
 * the idle time, and every request through the session sets it again, so the browser forgets the cookie when the
 * server forgets the session. Written here rather than by a cookie plugin, which would add an `onSend` hook to
 * every answer, SCIM's included.
 */
function setCookieLine(value: string, maxAge: number, config: AppConfig): string {
  const secure = isHttps(config) ? '; Secure' : '';
  return `${portalCookieName(config)}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

export function setPortalCookie(reply: FastifyReply, secret: string, config: AppConfig): void {
  reply.header('Set-Cookie', setCookieLine(secret, config.portal.sessionIdleSeconds, config));
}

/** Tells the browser to forget the cookie at once (instead of the refreshed one the request was admitted with). */
export function clearPortalCookie(reply: FastifyReply, config: AppConfig): void {
  reply.removeHeader('Set-Cookie');
  reply.header('Set-Cookie', setCookieLine('', 0, config));
}
