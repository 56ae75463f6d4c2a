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
import { ApiErrorBody, ApiException, UuidParam } from '@rollcall/common';
import type { AuditActor } from '@rollcall/audit';
import { Actor, Admin, AdminAuth } from './auth.decorators';
import type { AdminCaller } from './caller';
import { AdminTokenDto, CreateAdminTokenDto, CreatedAdminTokenDto } from './admin-token.dto';
import { TokensService } from './tokens.service';

@ApiTags('admin tokens')
// An admin-portal session may not issue admin tokens: they would outlive it.
@AdminAuth({ portal: false })
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@Controller('api/v1/admin-tokens')
export class AdminTokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @ApiOperation({
    summary: 'Create another admin token for your tenant (the token is shown only in this response)',
  })
  @ApiCreatedResponse({ type: CreatedAdminTokenDto })
  async create(
    @Admin() caller: AdminCaller,
    @Actor() actor: AuditActor,
    @Body() body: CreateAdminTokenDto,
  ): Promise<CreatedAdminTokenDto> {
    const t = await this.tokens.issueAdminToken(
      caller.tenantId,
      { name: body.name, expiresAt: body.expiresAt },
      actor,
    );
    return { ...t, lastUsedAt: null, revokedAt: null };
  }

  @Get()
  @ApiOperation({ summary: "List your tenant's admin tokens (hints only), newest first" })
  @ApiOkResponse({ type: [AdminTokenDto] })
  list(@Admin() caller: AdminCaller): Promise<AdminTokenDto[]> {
    return this.tokens.listAdminTokens(caller.tenantId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an admin token; it stops working on the next request' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorBody })
  async revoke(
    @Admin() caller: AdminCaller,
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
  ): Promise<void> {
    if (!(await this.tokens.revokeAdminToken(caller.tenantId, id, actor)))
      throw ApiException.notFound('Admin token');
  }
}
