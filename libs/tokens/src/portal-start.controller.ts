import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig, requestIdOf } from '@rollcall/common';
import { setPortalCookie } from './portal-cookie';
import { LINK_GONE, LINK_MALFORMED, type PortalPage, renderPortalPage } from './portal-page';
import { PortalService } from './portal.service';

/**
 * `GET /portal/start?code=…`: where a portal link lands. A good code starts a session (the cookie) and sends
 * the browser to the portal (303 to /portal/); anything else gets a small page that says what happened.
 */
@ApiExcludeController()
@Controller('portal')
export class PortalStartController {
  constructor(
    private readonly portal: PortalService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('start')
  async start(
    @Query('code') code: unknown,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Nothing here may be cached or passed on: the URL holds a code, the answer a session.
    reply.header('Cache-Control', 'no-store');
    // Fastify answers HEAD with the GET route: a link checker's HEAD must not use the link up.
    if (req.method === 'HEAD') return void reply.code(200).type('text/html; charset=utf-8').send();
    if (typeof code !== 'string') return this.page(reply, LINK_MALFORMED);
    const result = await this.portal.exchange(code, requestIdOf(req));
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

  private page(reply: FastifyReply, page: PortalPage): void {
    void reply.code(page.status).type('text/html; charset=utf-8').send(renderPortalPage(page));
  }
}
