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
import {
  CreateGroupDto,
  DirectoryUserPageDto,
  GroupDto,
  GroupPageDto,
  GroupQuery,
  MemberQuery,
  UpdateGroupDto,
  UserQuery,
} from './group.dto';
import { GroupsService } from './groups.service';

@ApiTags('groups')
@AdminAuth()
@ApiBadRequestResponse({ type: ApiErrorBody, description: 'Validation failed; `errors` names each field' })
@Controller('api/v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a group (names are unique in the tenant, ignoring case)' })
  @ApiCreatedResponse({ type: GroupDto })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'The name is taken' })
  create(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @Body() body: CreateGroupDto,
  ): Promise<GroupDto> {
    return this.groups.create(caller.tenantId, body.name, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List groups, by name; `q` searches names' })
  @ApiOkResponse({ type: GroupPageDto })
  list(@Admin() caller: TenantAdmin, @Query() q: GroupQuery) {
    return this.groups.list(caller.tenantId, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a group' })
  @ApiOkResponse({ type: GroupDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  get(@Admin() caller: TenantAdmin, @UuidParam() id: string): Promise<GroupDto> {
    return this.groups.get(caller.tenantId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a group (not one owned by a SCIM integration)' })
  @ApiOkResponse({ type: GroupDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  @ApiConflictResponse({
    type: ApiErrorBody,
    description: 'The name is taken, or an integration owns the group',
  })
  update(
    @Admin() caller: TenantAdmin,
    @Actor() actor: AuditActor,
    @UuidParam() id: string,
    @Body() body: UpdateGroupDto,
  ): Promise<GroupDto> {
    return this.groups.rename(caller.tenantId, id, body.name, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a group (refused while an integration targets or owns it)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ApiErrorBody })
  @ApiConflictResponse({ type: ApiErrorBody })
  delete(@Admin() caller: TenantAdmin, @Actor() actor: AuditActor, @UuidParam() id: string): Promise<void> {
    return this.groups.delete(caller.tenantId, id, actor);
  }

  @Get(':id/members')
  @ApiOperation({ summary: "A group's members, oldest first; `active` filters" })
  @ApiOkResponse({ type: DirectoryUserPageDto })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  members(@Admin() caller: TenantAdmin, @UuidParam() id: string, @Query() q: MemberQuery) {
    return this.groups.members(caller.tenantId, id, q);
  }
}

@ApiTags('users')
@AdminAuth()
@ApiBadRequestResponse({ type: ApiErrorBody })
@Controller('api/v1/users')
export class DirectoryUsersController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @ApiOperation({ summary: 'Users provisioned into your tenant; filter by integration, group and `active`' })
  @ApiOkResponse({ type: DirectoryUserPageDto })
  list(@Admin() caller: TenantAdmin, @Query() q: UserQuery) {
    return this.groups.users(caller.tenantId, q);
  }
}
