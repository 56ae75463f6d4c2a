import { type INestApplication, Module } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { TokensModule } from '@rollcall/tokens';
import { ScimEventsService } from './events/scim-events.service';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { isScimRequest, sendScimError } from './scim-error';
import { ScimExceptionFilter } from './scim-exception.filter';
import type { ScimExpressRequest } from './scim-request.decorator';
import { ScimException } from './scim.exception';
import { ScimGroupsController } from './groups/scim-groups.controller';
import { ScimGroupsService } from './groups/scim-groups.service';
import { ScimUsersController } from './users/scim-users.controller';
import { ScimUsersService } from './users/scim-users.service';

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;

/** The SCIM 2.0 protocol under /scim/v2. */
@Module({
  imports: [TokensModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimDiscoveryController],
  providers: [ScimUsersService, ScimGroupsService, ScimEventsService, ScimExceptionFilter],
})
export class ScimModule {
  /**
   * Express-level set-up that runs before routing: the request's start time (for the activity log), and
   * 415 for a body that is neither `application/scim+json` nor `application/json`.
   */
  static configure(app: INestApplication): void {
    app.use((req: ScimExpressRequest, res: Response, next: NextFunction) => {
      if (!isScimRequest(req)) return next();
      req.scimStartedAt = performance.now();
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const type = req.headers['content-type'];
      if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && (!type || !JSON_TYPES.test(type))) {
        const e = new ScimException(
          415,
          undefined,
          'Send the body as application/scim+json or application/json',
        );
        return sendScimError(e, req, res, undefined);
      }
      next();
    });
  }
}
