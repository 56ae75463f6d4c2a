import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, ApiException, UuidParam } from '@rollcall/common';
import {
  Actor,
  AdminTokenDto,
  CreateAdminTokenDto,
  CreatedAdminTokenDto,
  OperatorAuth,
  TokensService,
} from '@rollcall/tokens';
import { TenantsService } from './tenants.service';

/**
 * The operator's help for a tenant that lost its admin tokens (or leaked one): issue a new one, see which
 * exist (hints only), revoke them. The tenant's admins do the same for themselves under /api/v1/admin-tokens.
 */
@ApiTags('tenants (operator)')
@OperatorAuth()
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@ApiNotFoundResponse({ type: ApiErrorBody, description: 'No such tenant (or admin token)' })
@Controller('api/v1/tenants/:id/admin-tokens')
export class TenantAdminTokensController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly tokens: TokensService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Issue an admin token for a tenant (the token is shown only in this response)' })
  @ApiCreatedResponse({ type: CreatedAdminTokenDto })
  async create(
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @Body() body: CreateAdminTokenDto,
  ): Promise<CreatedAdminTokenDto> {
    await this.tenants.get(id);
    const t = await this.tokens.issueAdminToken(id, { name: body.name, expiresAt: body.expiresAt }, actor);
    return { ...t, lastUsedAt: null, revokedAt: null };
  }

  @Get()
  @ApiOperation({ summary: "List a tenant's admin tokens (hints only), newest first" })
  @ApiOkResponse({ type: [AdminTokenDto] })
  async list(@UuidParam() id: string): Promise<AdminTokenDto[]> {
    await this.tenants.get(id);
    return this.tokens.listAdminTokens(id);
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of a tenant's admin tokens; it stops working on the next request" })
  @ApiNoContentResponse()
  async revoke(
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @UuidParam('tokenId') tokenId: string,
  ): Promise<void> {
    await this.tenants.get(id);
    if (!(await this.tokens.revokeAdminToken(id, tokenId, actor))) throw ApiException.notFound('Admin token');
  }
}
