import { Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, ApiException, APP_CONFIG, type AppConfig, UuidParam } from '@rollcall/common';
import { Actor, Admin, AdminAuth, Portal, PortalAuth } from './auth.decorators';
import type { PortalCaller, TenantAdmin } from './caller';
import { clearPortalCookie, csrfTokenFor, portalSecretOf } from './portal-cookie';
import { PortalSessionDto, PortalSessionInfoDto } from './portal.dto';
import { PortalService } from './portal.service';

/** An admin sees the tenant's live portal sessions and ends one. */
@ApiTags('admin portal')
@AdminAuth()
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@Controller('api/v1/portal-sessions')
export class PortalSessionsController {
  constructor(private readonly portal: PortalService) {}

  @Get()
  @ApiOperation({ summary: "List your tenant's live admin-portal sessions (hints only), newest first" })
  @ApiOkResponse({ type: [PortalSessionDto] })
  list(@Admin() caller: TenantAdmin): Promise<PortalSessionDto[]> {
    return this.portal.list(caller.tenantId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End an admin-portal session; its next request, on any instance, gets 401' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorBody })
  async revoke(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
  ): Promise<void> {
    if (!(await this.portal.end(caller.tenantId, id, actor))) throw ApiException.notFound('Portal session');
  }
}

/** The portal page's own session: what it starts from, and logging out. Cookie only. */
@ApiTags('admin portal')
@PortalAuth()
@ApiBadRequestResponse({
  type: ApiErrorBody,
  description: 'A malformed request (e.g. a body that is not JSON)',
})
@Controller('api/v1/portal')
export class PortalSessionController {
  constructor(
    private readonly portal: PortalService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('session')
  @ApiOperation({ summary: 'The current admin-portal session: its tenant, CSRF token and end' })
  @ApiOkResponse({ type: PortalSessionInfoDto })
  async session(@Portal() caller: PortalCaller, @Req() req: FastifyRequest): Promise<PortalSessionInfoDto> {
    const info = await this.portal.describe(caller);
    // The admission step found the session by this very cookie.
    return { ...info, csrfToken: csrfTokenFor(portalSecretOf(req, this.config)!) };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the current admin-portal session and clear its cookie' })
  @ApiNoContentResponse()
  async logout(
    @Portal() caller: PortalCaller,
    @Actor() actor: AuditActor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.portal.end(caller.tenantId, caller.sessionId, actor);
    clearPortalCookie(reply, this.config);
  }
}
