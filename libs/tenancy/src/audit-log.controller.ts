import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuditLogPageDto, AuditLogQuery, AuditService } from '@rollcall/audit';
import { ApiErrorBody, UuidParam } from '@rollcall/common';
import { Admin, AdminAuth, type TenantAdmin, OperatorAuth } from '@rollcall/tokens';
import { TenantsService } from './tenants.service';

const DESCRIPTION =
  'Every change made through the settings API, newest first: who (admin token hint, or the operator), what ' +
  '(action, target, changed fields; never a token), when, and the request id. Cursor-paginated: pass ' +
  'nextCursor as cursor. Filters: action, targetId.';

@ApiTags('audit log')
@AdminAuth()
@ApiBadRequestResponse({
  type: ApiErrorBody,
  description: 'A bad limit, action, targetId, or a cursor this API did not return',
})
@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: "Your tenant's audit log", description: DESCRIPTION })
  @ApiOkResponse({ type: AuditLogPageDto })
  list(@Admin() caller: TenantAdmin, @Query() q: AuditLogQuery): Promise<AuditLogPageDto> {
    return this.audit.list(caller.tenantId, q);
  }
}

@ApiTags('tenants (operator)')
@OperatorAuth()
@ApiBadRequestResponse({
  type: ApiErrorBody,
  description: 'A bad limit, action, targetId, or a cursor this API did not return',
})
@Controller('api/v1/tenants/:id/audit-log')
export class TenantAuditLogController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: "A tenant's audit log", description: DESCRIPTION })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiNotFoundResponse({ type: ApiErrorBody, description: 'No such tenant' })
  async list(@UuidParam() id: string, @Query() q: AuditLogQuery): Promise<AuditLogPageDto> {
    await this.tenants.get(id);
    return this.audit.list(id, q);
  }
}
