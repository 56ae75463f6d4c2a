import { Controller, Delete, Get, Headers, HttpCode, Patch, Post, Put } from '@nestjs/common';
import { ScimAuth } from '@rollcall/tokens';
import type { ScimRequestContext } from '@rollcall/integrations';
import { writePrecondition } from '../scim-http';
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
  async replace(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    const version = await writePrecondition(ifMatch, ifNoneMatch, () => this.version(ctx, id));
    return this.groups.replace(ctx, id, body, version, projectionOf(q));
  }

  /**
   * 204 No Content, unless `attributes` or `excludedAttributes` ask for the group back (then 200 with it):
   * answering every membership change with the whole member list would cost in proportion to the group.
   */
  @Patch(':id')
  async patch(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    const version = await writePrecondition(ifMatch, ifNoneMatch, () => this.version(ctx, id));
    return this.groups.patch(ctx, id, body, version, projectionOf(q));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(
    @ScimRequest() ctx: ScimRequestContext,
    @ScimId() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ) {
    const version = await writePrecondition(ifMatch, ifNoneMatch, () => this.version(ctx, id));
    return this.groups.delete(ctx, id, version);
  }

  /** The current version, for a precondition that needs it (404 when there is no such resource). */
  private async version(ctx: ScimRequestContext, id: string): Promise<number> {
    return (await this.groups.get(ctx.caller, id, { attributes: 'id' })).version;
  }
}
