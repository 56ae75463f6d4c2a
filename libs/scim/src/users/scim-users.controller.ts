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
import { ScimUsersService } from './scim-users.service';

type Query = Record<string, unknown>;

@ScimControllerBase('Users')
@ScimAuth()
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Post()
  @HttpCode(201)
  create(@ScimRequest() ctx: ScimRequestContext, @ScimBody() body: unknown, @ScimQuery() q: Query) {
    return this.users.create(ctx, body, projectionOf(q));
  }

  @Get()
  list(@ScimRequest() ctx: ScimRequestContext, @ScimQuery() q: Query) {
    return this.users.list(ctx.caller, parseListQuery(q, this.users.maxResultsLimit));
  }

  @Post('.search')
  @HttpCode(200)
  search(@ScimRequest() ctx: ScimRequestContext, @ScimBody() body: unknown) {
    return this.users.list(ctx.caller, parseSearchRequest(body, this.users.maxResultsLimit));
  }

  @Get(':id')
  get(@ScimRequest() ctx: ScimRequestContext, @ScimId() id: string, @ScimQuery() q: Query) {
    return this.users.get(ctx.caller, id, projectionOf(q));
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
      () => this.users.currentVersion(ctx.caller, id),
      (version) => this.users.replace(ctx, id, body, version, projectionOf(q)),
    );
  }

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
      () => this.users.currentVersion(ctx.caller, id),
      (version) => this.users.patch(ctx, id, body, version, projectionOf(q)),
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
      () => this.users.currentVersion(ctx.caller, id),
      (version) => this.users.delete(ctx, id, version),
    );
  }
}
