import { Controller, HttpCode, Post } from '@nestjs/common';
import { ScimAuth } from '@rollcall/tokens';
import type { ScimRequestContext } from '@rollcall/integrations';
import { ScimBody, ScimControllerBase, ScimRequest } from '../scim-controller';
import { ScimBulkService } from './scim-bulk.service';

@ScimControllerBase('Bulk')
@ScimAuth()
@Controller('scim/v2/Bulk')
export class ScimBulkController {
  constructor(private readonly bulk: ScimBulkService) {}

  /** 200 with a BulkResponse whatever its operations came to; each carries its own status. */
  @Post()
  @HttpCode(200)
  run(@ScimRequest() ctx: ScimRequestContext, @ScimBody() body: unknown) {
    return this.bulk.run(ctx, body);
  }
}
