import { Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ScimAuth } from '@rollcall/tokens';
import type { ScimRequestContext } from '../events/scim-events.service';
import { parseIfMatch } from '../scim-http';
import { parseListQuery, parseSearchRequest } from '../scim-list';
import { projectionOf, ScimBody, ScimControllerBase, ScimQuery, ScimRequest } from '../scim-controller';
import { ScimException } from '../scim.exception';
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
  get(@ScimRequest() ctx: ScimRequestContext, @Param('id') id: string, @ScimQuery() q: Query) {
    notSearch(id);
    return this.users.get(ctx.caller, id, projectionOf(q));
  }

  @Put(':id')
  replace(
    @ScimRequest() ctx: ScimRequestContext,
    @Param('id') id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    notSearch(id);
    return this.users.replace(ctx, id, body, parseIfMatch(ifMatch), projectionOf(q));
  }

  @Patch(':id')
  patch(
    @ScimRequest() ctx: ScimRequestContext,
    @Param('id') id: string,
    @ScimBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @ScimQuery() q: Query,
  ) {
    notSearch(id);
    return this.users.patch(ctx, id, body, parseIfMatch(ifMatch), projectionOf(q));
  }

  @Delete(':id')
  @HttpCode(204)
  delete(
    @ScimRequest() ctx: ScimRequestContext,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    notSearch(id);
    return this.users.delete(ctx, id, parseIfMatch(ifMatch));
  }
}

/** `/Users/.search` takes only POST: other methods must not reach the `:id` routes (405, not 404). */
function notSearch(id: string): void {
  if (id.toLowerCase() === '.search')
    throw new ScimException(405, undefined, '/Users/.search only takes POST');
}
