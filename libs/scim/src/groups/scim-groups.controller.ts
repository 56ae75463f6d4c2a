import { Controller, Delete, Get, Headers, HttpCode, Patch, Post, Put } from '@nestjs/common';
import { ScimAuth } from '@rollcall/tokens';
import type { ScimRequestContext } from '@rollcall/integrations';
import { conditionalWrite } from '../scim-http';
import { parseListQuery, parseSearchRequest } from '../scim-list';
import {
  projectionOf,
  ScimBody,
  ScimControllerBase,
  ScimId,
  ScimQuery,
  ScimRequest,
} from '../scim-controller';
import { ScimGroupsService } from './scim-groups.service';

type Query = Record<string, unknown>;

@ScimControllerBase('Groups')
@ScimAuth()
@Controller('scim/v2/Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Post()
  @HttpCode(201)
  create(@ScimRequest() ctx: ScimRequestContext, @ScimBody() body: unknown, @ScimQuery() q: Query) {
    return this.groups.create(ctx, body, projectionOf(q));
  }

  @Get()
  list(@ScimRequest() ctx: ScimRequestContext, @ScimQuery() q: Query) {
    return this.groups.list(ctx.caller, parseListQuery(q, this.groups.maxResultsLimit));
  }

  @Post('.search')
  @HttpCode(200)
  search(@ScimRequest() ctx: ScimRequestContext, @ScimBody() body: unknown) {
    return this.groups.list(ctx.caller, parseSearchRequest(body, this.groups.maxResultsLimit));
  }

  @Get(':id')
  get(@ScimRequest() ctx: ScimRequestContext, @ScimId() id: string, @ScimQuery() q: Query) {
    return this.groups.get(ctx.caller, id, projectionOf(q));
  }

  @Put(':id')
  replace(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    return conditionalWrite(
      ifMatch,
      ifNoneMatch,
      () => this.groups.currentVersion(ctx.caller, id),
      (version) => this.groups.replace(ctx, id, body, version, projectionOf(q)),
    );
  }

  /**
   * 204 No Content, unless `attributes` or `excludedAttributes` ask for the group back (then 200 with it):
   * answering every membership change with the whole member list would cost in proportion to the group.
   */
  @Patch(':id')
  patch(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    return conditionalWrite(
      ifMatch,
      ifNoneMatch,
      () => this.groups.currentVersion(ctx.caller, id),
      (version) => this.groups.patch(ctx, id, body, version, projectionOf(q)),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  delete(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ) {
    return conditionalWrite(
      ifMatch,
      ifNoneMatch,
      () => this.groups.currentVersion(ctx.caller, id),
      (version) => this.groups.delete(ctx, id, version),
    );
  }
}
