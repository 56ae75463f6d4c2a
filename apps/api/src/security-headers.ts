import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The security headers of every response but SCIM's, computed once at start by helmet (the set a browser
 * needs for the docs and the settings API) rather than by running it on each request. `https`: whether the
 * server is reached over https (PUBLIC_URL); only then may pages ask the browser to upgrade their requests,
 * which on plain http would send a form or a script to an https port that does not exist.
 */
export function securityHeaders(https: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => void (headers[name] = String(value)),
    removeHeader: () => undefined,
  };
  helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  if (Object.keys(headers).length === 0) throw new Error('helmet set no headers');
  return headers;
}

/**
 * What a SCIM response carries besides its own headers: it is JSON for a machine, never rendered by a
 * browser, so of helmet's set only the one that stops a browser from reading it as something else matters.
 */
export const SCIM_SECURITY_HEADERS: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' };
