import { type INestApplication, Module } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { TokensModule, TokensService } from '@rollcall/tokens';
import { ScimEventsService } from './events/scim-events.service';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { isScimRequest } from './scim-error';
import { ScimExceptionFilter } from './scim-exception.filter';
import type { ScimExpressRequest } from './scim-request.decorator';
import { ScimException } from './scim.exception';
import { ScimGroupsController } from './groups/scim-groups.controller';
import { ScimGroupsService } from './groups/scim-groups.service';
import { ScimUsersController } from './users/scim-users.controller';
import { ScimUsersService } from './users/scim-users.service';

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;
/** No SCIM resource nests this deep; a body that does is refused before any code walks it. */
const MAX_BODY_DEPTH = 32;
/** A NUL character, or half of a surrogate pair: text PostgreSQL cannot store. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What makes a parsed body unfit to go further, if anything: nesting deeper than any SCIM resource, or text
 * that cannot be stored. Iterative, so that a hostile body cannot exhaust the stack.
 */
function problemIn(body: unknown): string | undefined {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v))
        return 'The body contains a NUL character or a lone surrogate, which cannot be stored';
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > MAX_BODY_DEPTH) return `The body nests deeper than ${MAX_BODY_DEPTH} levels`;
    for (const [key, child] of Object.entries(v)) {
      if (!Array.isArray(v)) stack.push([key, depth + 1]);
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** The SCIM 2.0 protocol under /scim/v2. */
@Module({
  imports: [TokensModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimDiscoveryController],
  providers: [ScimUsersService, ScimGroupsService, ScimEventsService, ScimExceptionFilter],
})
export class ScimModule {
  /**
   * Express-level set-up before the body is read: the request's start time (for the activity log), and 415
   * for a body that is neither `application/scim+json` nor `application/json`.
   */
  static beforeBody(app: INestApplication): void {
    const failures = new EarlyFailures(app);
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
        return void failures.handle(e, req, res);
      }
      next();
    });
  }

  /** After the body parser: malformed JSON (400) and oversized bodies (413) on SCIM paths, logged like any failure. */
  static afterBody(app: INestApplication): void {
    const failures = new EarlyFailures(app);
    app.use((req: ScimExpressRequest, res: Response, next: NextFunction) => {
      const problem = isScimRequest(req) ? problemIn(req.body) : undefined;
      if (problem === undefined) return next();
      void failures.handle(new ScimException(400, 'invalidValue', problem), req, res);
    });
    app.use((err: unknown, req: ScimExpressRequest, res: Response, next: NextFunction) => {
      if (!isScimRequest(req)) return next(err);
      void failures.handle(err, req, res);
    });
  }
}

/**
 * Failures that happen before routing (so before the bearer guard): the caller is resolved from the token
 * here, so that an integration's malformed or oversized requests still reach its activity log.
 */
class EarlyFailures {
  constructor(private readonly app: INestApplication) {}

  async handle(exception: unknown, req: ScimExpressRequest, res: Response): Promise<void> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    try {
      const caller = token ? await this.app.get(TokensService).authenticate(token) : undefined;
      if (caller?.kind === 'scim') req.user = caller;
    } catch {
      // The answer is the original error whatever happens here.
    }
    await this.app.get(ScimExceptionFilter).handle(exception, req, res);
  }
}
