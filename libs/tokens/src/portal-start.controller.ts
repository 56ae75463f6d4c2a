import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig, requestIdOf } from '@rollcall/common';
import { setPortalCookie } from './portal-cookie';
import {
  CROSS_SITE,
  landingPage,
  LINK_GONE,
  LINK_MALFORMED,
  type PortalPage,
  renderPortalPage,
} from './portal-page';
import { PortalService } from './portal.service';

const START_PATH = /^\/portal\/start\/?(\?|$)/i;
/** A form with one portal-link code is well under this. */
const FORM_LIMIT = 1024;

/**
 * Lets `POST /portal/start` take the landing page's form (`application/x-www-form-urlencoded`). Every other
 * route refuses a form body with 415, as before: the settings API reads JSON only.
 */
export function usePortalStartForm(instance: FastifyInstance): void {
  instance.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_LIMIT },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      if (request.method !== 'POST' || !START_PATH.test(request.url)) {
        return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']));
      }
      const fields: Record<string, string[]> = {};
      for (const [name, value] of new URLSearchParams(body.toString())) (fields[name] ??= []).push(value);
      done(null, fields);
    },
  );
}

/**
 * Where a portal link lands. `GET /portal/start?code=…` only shows a page: what the link opens and a Continue
 * button, since mail scanners and link previews open links before the person does and must not use them up.
 * The button's `POST /portal/start` (from that page only) uses the link, starts a session (the cookie) and
 * sends the browser to the portal (303 to /portal/). A link that cannot be opened gets a small page saying why.
 */
@ApiExcludeController()
@Controller('portal')
export class PortalStartController {
  constructor(
    private readonly portal: PortalService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('start')
  async land(
    @Query('code') code: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Nothing here may be cached or passed on: the URL holds a code.
    reply.header('Cache-Control', 'no-store');
    // Fastify answers HEAD with the GET route: a link checker gets the status alone.
    if (req.method === 'HEAD') return void reply.code(200).type('text/html; charset=utf-8').send();
    if (typeof code !== 'string') return this.page(reply, LINK_MALFORMED);
    const link = await this.portal.inspect(code);
    switch (link.outcome) {
      case 'malformed':
        return this.page(reply, LINK_MALFORMED);
      case 'gone':
        return this.page(reply, LINK_GONE);
      case 'open':
        return this.page(
          reply,
          landingPage(code, link.tenantName, Math.round(this.config.portal.sessionIdleSeconds / 60)),
        );
    }
  }

  @Post('start')
  @HttpCode(303)
  async start(
    @Body() form: Record<string, string[] | undefined> | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    reply.header('Cache-Control', 'no-store');
    if (this.crossSite(req)) return this.page(reply, CROSS_SITE);
    const codes = form?.code;
    if (codes?.length !== 1) return this.page(reply, LINK_MALFORMED);
    const result = await this.portal.exchange(codes[0], requestIdOf(req));
    switch (result.outcome) {
      case 'malformed':
        return this.page(reply, LINK_MALFORMED);
      case 'gone':
        return this.page(reply, LINK_GONE);
      case 'started':
        setPortalCookie(reply, result.secret, this.config);
        return void reply.redirect('/portal/', 303);
    }
  }

  /**
   * A sign-in another site's page submitted (login CSRF: it would sign this browser in to someone else's
   * portal). Browsers say where a form came from (`Sec-Fetch-Site`, else `Origin`); a request that says
   * neither comes from no browser page, so it carries no one's cookies to abuse.
   */
  private crossSite(req: FastifyRequest): boolean {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined) return site !== 'same-origin';
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    return origin !== new URL(this.config.publicUrl).origin && origin !== `${req.protocol}://${req.host}`;
  }

  private page(reply: FastifyReply, page: PortalPage): void {
    void reply.code(page.status).type('text/html; charset=utf-8').send(renderPortalPage(page));
  }
}
