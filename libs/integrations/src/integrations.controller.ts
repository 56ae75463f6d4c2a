import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, UuidParam } from '@rollcall/common';
import { Actor, Admin, AdminAuth, type TenantAdmin } from '@rollcall/tokens';
import { ActivityPageDto, EventQuery } from './activity.dto';
import {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDetailsDto,
  IntegrationDto,
  RotatedTokenDto,
  RotateTokenDto,
  UpdateIntegrationDto,
} from './integration.dto';
import { IntegrationsService } from './integrations.service';

@ApiTags('SCIM integrations')
@AdminAuth()
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@Controller('api/v1/scim-integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a SCIM integration (the wizard): name, provider, and groupId or newGroupName',
    description:
      'Returns the SCIM base URL and the secret token to paste into the identity provider; the token is shown only now.',
  })
  @ApiCreatedResponse({ type: CreatedIntegrationDto })
  @ApiNotFoundResponse({ type: ApiErrorBody, description: 'groupId names no group of yours' })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'newGroupName is taken' })
  create(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @Body() body: CreateIntegrationDto,
  ): Promise<CreatedIntegrationDto> {
    return this.integrations.create(caller.tenantId, body, actor);
  }

  @Get()
  @ApiOperation({ summary: "List your tenant's SCIM integrations" })
  @ApiOkResponse({ type: [IntegrationDto] })
  list(@Admin() caller: TenantAdmin): Promise<IntegrationDto[]> {
    return this.integrations.list(caller.tenantId);
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'Integration details: base URL, token hint, token creation and last use, counts, and how to connect its provider',
  })
  @ApiOkResponse({ type: IntegrationDetailsDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  get(@Admin() caller: TenantAdmin, @UuidParam() id: string): Promise<IntegrationDetailsDto> {
    return this.integrations.get(caller.tenantId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, enable/disable, or change the target group' })
  @ApiOkResponse({ type: IntegrationDetailsDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  update(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @Body() body: UpdateIntegrationDto,
  ): Promise<IntegrationDetailsDto> {
    return this.integrations.update(caller.tenantId, id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an integration',
    description:
      'Its tokens stop at once. The users it provisioned and the groups it pushed are deleted with it; its target group stays. To pause provisioning without losing data, disable it instead.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorBody })
  delete(@Admin() caller: TenantAdmin, @Actor() actor: AuditActor, @UuidParam() id: string): Promise<void> {
    return this.integrations.delete(caller.tenantId, id, actor);
  }

  @Post(':id/token')
  @ApiOperation({
    summary: 'Rotate the SCIM token',
    description:
      'The previous token stops at once, or after graceSeconds (at most 7 days) so the IdP can be updated without an outage.',
  })
  @ApiCreatedResponse({ type: RotatedTokenDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  rotate(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @Body() body: RotateTokenDto,
  ): Promise<RotatedTokenDto> {
    return this.integrations.rotateToken(caller.tenantId, id, body?.graceSeconds ?? 0, actor);
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      'The sync activity log: SCIM writes (with what they changed), failed requests and the first request, newest first',
    description:
      'Cursor-paginated: pass nextCursor as cursor. Each event of an update says what it changed (`changes`), ' +
      'and a write that changed nothing is there with outcome `unchanged`. The integration’s first request is ' +
      'there even when it only read (outcome `read`), so that the identity provider shows as connected; later ' +
      'reads are not recorded. Filters: status=failed|succeeded, ' +
      'resourceType, resourceId, resourceName (userName or displayName, ignoring case), since.',
  })
  @ApiOkResponse({ type: ActivityPageDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  events(
    @Admin() caller: TenantAdmin,
    @UuidParam() id: string,
    @Query() q: EventQuery,
  ): Promise<ActivityPageDto> {
    return this.integrations.events(caller.tenantId, id, q);
  }
}
