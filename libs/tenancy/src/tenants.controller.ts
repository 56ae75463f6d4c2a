import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, PageQuery, UuidParam } from '@rollcall/common';
import { Actor, OperatorAuth } from '@rollcall/tokens';
import { CreatedTenantDto, CreateTenantDto, TenantDto, TenantPageDto, UpdateTenantDto } from './tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants (operator)')
@OperatorAuth()
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant and its first admin token (shown only in this response)' })
  @ApiCreatedResponse({ type: CreatedTenantDto })
  create(@Actor() actor: AuditActor, @Body() body: CreateTenantDto): Promise<CreatedTenantDto> {
    return this.tenants.create(body.name, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List tenants, oldest first' })
  @ApiOkResponse({ type: TenantPageDto })
  list(@Query() q: PageQuery) {
    return this.tenants.list(q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  get(@UuidParam() id: string): Promise<TenantDto> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Rename, disable or re-enable a tenant (a disabled tenant’s tokens stop at once)',
  })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  update(
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @Body() body: UpdateTenantDto,
  ): Promise<TenantDto> {
    return this.tenants.update(id, body, actor);
  }
}
