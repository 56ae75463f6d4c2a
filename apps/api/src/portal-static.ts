import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the admin portal's pages are served. */
const PORTAL_PREFIX = '/portal';

/** Vite names every built asset by its content hash, so a cached copy never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page itself is revalidated on every visit, so a deploy reaches the next page load. */
const REVALIDATE = 'no-cache';

/**
 * Serves the built admin portal (`dist/portal`, made by `npm run build`) under /portal: its hashed assets
 * with a long cache life, and index.html for every other path below /portal (the page routes itself), so a
 * reload or a bookmarked /portal/integrations/… works. The portal talks only to the documented settings API.
 * Without a build (tests of the API alone, `nest start --watch`), /portal answers 503 naming the command.
 */
export async function usePortal(app: NestFastifyApplication, dir: string): Promise<void> {
  const index = join(dir, 'index.html');
  const built = existsSync(index);
  const page = built ? readFileSync(index) : undefined;
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: `${PORTAL_PREFIX}/`,
      // Each built file gets its own route now; other paths fall through to the page below.
      wildcard: false,
      index: false,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply: FastifyReply, path: string) => {
        void reply.header('Cache-Control', path.includes('/assets/') ? IMMUTABLE : REVALIDATE);
      },
    });
  }
  const instance = app.getHttpAdapter().getInstance();
  const sendPage = (request: FastifyRequest, reply: FastifyReply) => {
    if (!page) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The admin portal is not built: run `npm run build` (or `npm start`).\n');
    }
    // A missing script or stylesheet is a 404, not the page (which a browser would refuse as a script).
    if (/^\/portal\/assets\//i.test(request.url)) {
      return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    }
    return reply.header('Cache-Control', REVALIDATE).type('text/html; charset=utf-8').send(page);
  };
  instance.get(PORTAL_PREFIX, sendPage);
  instance.get(`${PORTAL_PREFIX}/*`, sendPage);
}
