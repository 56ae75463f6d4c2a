import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The security headers of each kind of answer, chosen by its path (SCIM's: SCIM_SECURITY_HEADERS). */
export interface SecurityHeaderSets {
  /** The settings API and the docs (Swagger UI runs inline scripts). */
  api: Record<string, string>;
  /** The admin portal's page and assets: its own scripts and styles only, never framed. */
  portal: Record<string, string>;
  /**
   * `/portal/start`, where a portal link lands: no script at all, its own inline style and one form to itself.
   * Its Referer goes to this server alone rather than nowhere: with `no-referrer` a browser sends
   * `Origin: null` on the form's POST, and on plain http (no Sec-Fetch-Site either) Continue could not be
   * told from another site's form.
   */
  portalStart: Record<string, string>;
}

/**
 * Computed once at start by helmet rather than on each request. `https`: whether the server is reached over
 * https (PUBLIC_URL); only then may pages ask the browser to upgrade their requests, which on plain http would
 * send a form or a script to an https port that does not exist.
 */
export function securityHeaders(https: boolean): SecurityHeaderSets {
  const api = helmetHeaders({
    'script-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'upgrade-insecure-requests': https ? [] : null,
  });
  const upgrade = https ? ['upgrade-insecure-requests'] : [];
  return {
    api,
    portal: {
      ...api,
      'Content-Security-Policy': [...PORTAL_CSP, ...upgrade].join(';'),
      'X-Frame-Options': 'DENY',
    },
    portalStart: {
      ...api,
      'Content-Security-Policy': [...PORTAL_START_CSP, ...upgrade].join(';'),
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
    },
  };
}

function helmetHeaders(directives: Record<string, string[] | null>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => void (headers[name] = String(value)),
    removeHeader: () => undefined,
  };
  helmet({ contentSecurityPolicy: { directives } })(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    () => undefined,
  );
  if (Object.keys(headers).length === 0) throw new Error('helmet set no headers');
  return headers;
}

const PORTAL_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
];

const PORTAL_START_CSP = [
  "default-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  'img-src data:',
  "style-src 'unsafe-inline'",
];

/** `/portal` and everything below it, in any case (the router ignores case). */
export const PORTAL_PATH = /^\/portal(\/|\?|$)/i;
/** `/portal/start`, with or without a trailing slash or a query. */
export const PORTAL_START_PATH = /^\/portal\/start\/?(\?|$)/i;

/**
 * What a SCIM response carries besides its own headers: it is JSON for a machine, never rendered by a
 * browser, so of helmet's set only the one that stops a browser from reading it as something else matters.
 */
export const SCIM_SECURITY_HEADERS: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };
