import { type INestApplication, Module } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { carriesBody, OTHER_CHARSET } from '@rollcall/common';
import { AdmissionService, answerRejection, type Rejection, TokensModule } from '@rollcall/tokens';
import { IntegrationsModule, ScimEventsService } from '@rollcall/integrations';
import { ScimBulkController } from './bulk/scim-bulk.controller';
import { ScimBulkService } from './bulk/scim-bulk.service';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { allowedMethods, BULK_PATH, isScimRequest, scimPathOf, sendScimError } from './scim-error';
import { ScimExceptionFilter } from './scim-exception.filter';
import { scimContextOf, type ScimHttpRequest } from './scim-request.decorator';
import { ScimException } from './scim.exception';
import { ScimGroupsController } from './groups/scim-groups.controller';
import { ScimGroupsService } from './groups/scim-groups.service';
import { ScimUsersController } from './users/scim-users.controller';
import { ScimUsersService } from './users/scim-users.service';

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;
/** A NUL character, or half of a surrogate pair: text PostgreSQL cannot store. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What makes a parsed body unfit to go further, if anything: text that cannot be stored. Iterative, though
 * the body parser has already refused anything nested deeper than a SCIM resource can be.
 */
function unstorableTextIn(body: unknown): string | undefined {
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v))
        return 'The body contains a NUL character or a lone surrogate, which cannot be stored';
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    for (const [key, child] of Object.entries(v)) {
      if (!Array.isArray(v)) stack.push(key);
      stack.push(child);
    }
  }
  return undefined;
}

/** The SCIM 2.0 protocol under /scim/v2. */
@Module({
  imports: [TokensModule, IntegrationsModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimBulkController, ScimDiscoveryController],
  providers: [ScimUsersService, ScimGroupsService, ScimBulkService, ScimExceptionFilter],
})
export class ScimModule {
  /**
   * Checks before the body is read (a Fastify `onRequest` hook), in this order, on every spelling of
   * `/scim/v2`: the request's start time (for the activity log); the bearer token and the integration's
   * limits (401, 429, 503); a method the endpoint does not have (405), whatever the body; a body declared as
   * anything but UTF-8 JSON (415; no Content-Type is JSON) or larger than the body limit (413; for /Bulk,
   * `tooLarge` past its maxPayloadSize). None of them
   * reads the body.
   */
  static beforeBody(app: INestApplication, instance: FastifyInstance, limits: ScimBodyLimits): void {
    const admission = app.get(AdmissionService);
    const failures = new EarlyFailures(app);
    instance.addHook('onRequest', (request: ScimHttpRequest, reply: FastifyReply, done: () => void) => {
      if (!isScimRequest(request)) return done();
      request.scimStartedAt = performance.now();
      admission.admit(request, reply.raw, 'scim').then(
        (result) => {
          if (!result.admitted) return failures.reject(result, request, reply);
          const problem = problemBeforeBody(request, limits);
          if (problem) return void failures.handle(problem, request, reply);
          done();
        },
        (e: unknown) => void failures.handle(e, request, reply),
      );
    });
  }

  /**
   * What a parsed SCIM body must pass before it goes further: no text that cannot be stored (400). Called by
   * the JSON body parser; malformed, too deep and oversized bodies fail there too, and every such failure
   * reaches the integration's activity log through the exception filter.
   */
  static checkBody(request: FastifyRequest, body: unknown): void {
    if (!isScimRequest(request)) return;
    const problem = unstorableTextIn(body);
    if (problem !== undefined) throw new ScimException(400, 'invalidValue', problem);
  }
}

/** The largest body of a request: `bulk` for /Bulk, `body` for every other. */
export interface ScimBodyLimits {
  body: number;
  bulk: number;
}

/** `/scim/v2/Bulk` in any spelling. */
export function isScimBulkRequest(req: { url: string }): boolean {
  return isScimRequest(req) && BULK_PATH.test(scimPathOf(req));
}

/** What is wrong with a request that can be told from its method and headers alone. */
function problemBeforeBody(req: FastifyRequest, limits: ScimBodyLimits): ScimException | undefined {
  const path = scimPathOf(req);
  const allowed = allowedMethods(path);
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (allowed && !allowed.includes(method)) {
    return new ScimException(405, undefined, `${req.method} is not allowed here; use ${allowed.join(', ')}`);
  }
  if (!carriesBody(req)) return undefined;
  // No Content-Type is JSON (RFC 7644 §3.8): the body parser reads it so.
  const type = req.headers['content-type'];
  if (type !== undefined && (!JSON_TYPES.test(type) || OTHER_CHARSET.test(type))) {
    return new ScimException(
      415,
      undefined,
      'Send the body as UTF-8 application/scim+json or application/json',
    );
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (BULK_PATH.test(path)) {
    if (length <= limits.bulk) return undefined;
    return new ScimException(
      413,
      'tooLarge',
      `The bulk request body is larger than maxPayloadSize (${limits.bulk} bytes)`,
    );
  }
  if (length > limits.body) {
    return new ScimException(413, undefined, `The request body is larger than ${limits.body} bytes`);
  }
  return undefined;
}

/**
 * Failures that happen before routing (so before the bearer guard). The admission step has already put
 * the caller on the request, so an integration's malformed or refused requests reach its activity log.
 */
class EarlyFailures {
  private readonly filter: ScimExceptionFilter;
  private readonly events: ScimEventsService;

  constructor(app: INestApplication) {
    this.filter = app.get(ScimExceptionFilter);
    this.events = app.get(ScimEventsService);
  }

  async handle(exception: unknown, req: ScimHttpRequest, reply: FastifyReply): Promise<void> {
    await this.filter.handle(exception, req, reply);
  }

  /** A request kept out before its body: 401 or 503 at once; 429 summed per minute in the log, answered after a pause. */
  reject(rejection: Rejection, req: ScimHttpRequest, reply: FastifyReply): void {
    const error = new ScimException(rejection.status, undefined, rejection.detail);
    if (rejection.status !== 429) {
      return answerRejection(rejection, reply, () => void this.handle(error, req, reply));
    }
    const ctx = scimContextOf(req);
    if (ctx) this.events.recordRefusal(ctx, rejection.status, rejection.detail);
    answerRejection(rejection, reply, () => sendScimError(error, req, reply));
  }
}
