import { Body, Controller, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuditActor } from '@rollcall/audit';
import { ApiErrorBody, ApiErrorCode, ApiException } from '@rollcall/common';
import { Actor, AdminOrOperatorAuth, Authenticated } from './auth.decorators';
import type { AdminCaller, OperatorCaller } from './caller';
import { CreatePortalLinkDto, PortalLinkDto } from './portal.dto';
import { type PortalLinkCreator, PortalService } from './portal.service';

@ApiTags('admin portal')
@AdminOrOperatorAuth()
@Controller('api/v1/portal-links')
export class PortalLinksController {
  constructor(private readonly portal: PortalService) {}

  @Post()
  @ApiOperation({
    summary: 'Make a one-time link into the admin portal, for an admin token’s own tenant or (operator) any',
    description:
      'Redirect the customer’s admin to `url`: opening it once, before `expiresAt`, starts an admin-portal session ' +
      'for the tenant (cookie `rollcall_portal`) and lands on `/portal/`. A second open, or one after `expiresAt`, ' +
      'shows a page that says the link was used or has expired.',
  })
  @ApiCreatedResponse({ type: PortalLinkDto })
  @ApiBadRequestResponse({ type: ApiErrorBody, description: 'The operator token without `tenantId`' })
  @ApiNotFoundResponse({ type: ApiErrorBody, description: 'No such tenant (operator)' })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'The tenant is disabled' })
  create(
    @Authenticated() caller: AdminCaller | OperatorCaller,
    @Actor() actor: AuditActor,
    @Body() body: CreatePortalLinkDto,
  ): Promise<PortalLinkDto> {
    const tenantId = body.tenantId;
    if (caller.kind === 'operator') {
      if (!tenantId)
        throw ApiException.validation('tenantId', 'tenantId is required with the operator token');
      return this.portal.createLink(tenantId, actor as PortalLinkCreator);
    }
    if (tenantId !== undefined && tenantId !== caller.tenantId) {
      throw new ApiException(
        HttpStatus.FORBIDDEN,
        ApiErrorCode.Forbidden,
        'An admin token makes portal links for its own tenant only',
      );
    }
    return this.portal.createLink(caller.tenantId, actor as PortalLinkCreator);
  }
}
