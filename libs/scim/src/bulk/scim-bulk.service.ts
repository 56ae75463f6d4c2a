import { Inject, Injectable, Logger } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { ScimEventsService, type ScimRequestContext } from '@rollcall/integrations';
import { AdmissionService } from '@rollcall/tokens';
import { SCIM_SCHEMAS } from '../schema';
import { type ScimErrorBody, scimErrorBody } from '../scim-error';
import { failureOf } from '../scim-exception.filter';
import { conditionalWrite, ScimNoContent, type ScimResourceResult } from '../scim-http';
import { MAX_BULK_OPERATIONS } from '../scim-limits';
import { ScimException } from '../scim.exception';
import { ScimGroupsService } from '../groups/scim-groups.service';
import { ScimUsersService } from '../users/scim-users.service';
import {
  type BulkMethod,
  type BulkOperation,
  BulkSchedule,
  parseBulkRequest,
  resolveReferences,
} from './bulk-request';

/**
 * Operations of one /Bulk request in progress at once, at most: the first on the request's own place among the
 * integration's running requests, each other one on a place borrowed from them only while that makes no request
 * wait (AdmissionService.borrowScimPlace). So an integration never holds more database connections than
 * SCIM_MAX_CONCURRENT, bulk or not, and a bulk request runs one operation at a time whenever anyone else is served.
 */
export const BULK_PARALLELISM = 4;

export interface BulkOperationResponse {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: ScimErrorBody;
}

export interface BulkResponse {
  schemas: [typeof SCIM_SCHEMAS.bulkResponse];
  Operations: BulkOperationResponse[];
}

/** What one operation came to: its answer, and the resource it created or named (for bulkId references). */
interface Outcome {
  response: BulkOperationResponse;
  failed: boolean;
}

/**
 * RFC 7644 §3.7 /Bulk: each operation is what the same single request would be — the same service method, its
 * own statement or transaction (atomic on its own), its own activity event (the request's id, the operation's
 * method and path) — and the request as a whole is not atomic: operations that succeeded stay when others fail.
 */
@Injectable()
export class ScimBulkService {
  private readonly logger = new Logger('SCIM');
  private readonly baseUrl: string;

  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
    private readonly events: ScimEventsService,
    private readonly admission: AdmissionService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/scim/v2`;
  }

  async run(ctx: ScimRequestContext, body: unknown): Promise<BulkResponse> {
    const { operations, failOnErrors = Number.POSITIVE_INFINITY } = parseBulkRequest(
      body,
      MAX_BULK_OPERATIONS,
    );
    const schedule = new BulkSchedule(operations);
    const responses: (BulkOperationResponse | undefined)[] = new Array<undefined>(operations.length);
    /** bulkId → the id its POST created. */
    const created = new Map<string, string>();
    const creators = new Set(
      operations.flatMap((op) => (op.method === 'POST' && op.bulkId ? [op.bulkId] : [])),
    );
    let errors = 0;
    const settle = (op: BulkOperation, outcome: Outcome) => {
      responses[op.index] = outcome.response;
      if (outcome.failed) errors++;
    };

    // With failOnErrors, one operation at a time: none runs after the error that ends the request.
    const parallelism = failOnErrors === Number.POSITIVE_INFINITY ? BULK_PARALLELISM : 1;
    const running = new Set<Promise<void>>();
    while (errors < failOnErrors) {
      if (!schedule.hasReady()) {
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      let borrowed: (() => void) | undefined;
      if (running.size > 0) {
        if (running.size < parallelism) borrowed = this.admission.borrowScimPlace(ctx.caller.integrationId);
        if (!borrowed) {
          await Promise.race(running);
          continue;
        }
      }
      const op = schedule.next()!;
      const work = this.execute(ctx, op, created, creators).then((outcome) => {
        settle(op, outcome);
        schedule.finished(op);
        borrowed?.();
        running.delete(work);
      });
      running.add(work);
      // Between operations, whatever else the process has to do goes first.
      await nextTurn();
    }
    await Promise.all(running);
    // Never ready: their bulkId references go round in a cycle (or wait for one).
    for (const op of schedule.blocked()) {
      if (errors >= failOnErrors) break;
      const cause = new ScimException(
        409,
        'invalidValue',
        `The bulkId references of this operation go round in a cycle (${op.references.map((r) => `bulkId:${r}`).join(', ')}), which this server does not resolve`,
      );
      settle(op, await this.failed(ctx, op, pathOf(op, targetId(op, created)), performance.now(), cause));
    }
    return { schemas: [SCIM_SCHEMAS.bulkResponse], Operations: responses.filter((r) => r !== undefined) };
  }

  /** Runs one operation as its single request would run; never throws (a failure is the operation's answer). */
  private async execute(
    ctx: ScimRequestContext,
    op: BulkOperation,
    created: Map<string, string>,
    creators: ReadonlySet<string>,
  ): Promise<Outcome> {
    const startedAt = performance.now();
    const id = targetId(op, created);
    const path = pathOf(op, id);
    const opCtx: ScimRequestContext = { ...ctx, method: op.method, path, startedAt };
    try {
      const unresolved = op.references.find((ref) => !created.has(ref));
      if (unresolved !== undefined) {
        throw creators.has(unresolved)
          ? new ScimException(
              409,
              'invalidValue',
              `bulkId:${unresolved} names an operation that failed or was not run`,
            )
          : new ScimException(400, 'invalidValue', `bulkId:${unresolved} names no POST of this bulk request`);
      }
      const data = op.references.length > 0 ? resolveReferences(op.data, created) : op.data;
      const result = await this.call(opCtx, op, id, data);
      if (op.method === 'POST' && op.bulkId !== undefined) {
        created.set(op.bulkId, String((result as ScimResourceResult).body.id));
      }
      const response: BulkOperationResponse = {
        method: op.method,
        ...(op.bulkId !== undefined && { bulkId: op.bulkId }),
        ...(result !== undefined && { version: result.etag }),
        location:
          result instanceof ScimNoContent || result === undefined
            ? `${this.baseUrl}${path}`
            : result.location,
        status: String(STATUS[op.method](result)),
      };
      return { response, failed: false };
    } catch (e) {
      return this.failed(ctx, op, path, startedAt, e);
    }
  }

  private async call(
    ctx: ScimRequestContext,
    op: BulkOperation,
    id: string | undefined,
    data: unknown,
  ): Promise<ScimResourceResult | ScimNoContent | undefined> {
    const service = op.resourceType === 'User' ? this.users : this.groups;
    const method = op.method;
    if (method === 'POST') return service.create(ctx, data, ID_ONLY);
    // An operation's `version` is an If-Match (RFC 7644 §3.7), read as the header is.
    return conditionalWrite(
      op.version,
      undefined,
      () => service.currentVersion(ctx.caller, id!),
      (ifMatch) => {
        switch (method) {
          case 'PUT':
            return service.replace(ctx, id!, data, ifMatch, ID_ONLY);
          case 'PATCH':
            return service.patch(ctx, id!, data, ifMatch, {});
          case 'DELETE':
            return service.delete(ctx, id!, ifMatch).then(() => undefined);
        }
      },
    );
  }

  /** A failed operation: its SCIM error, in the answer and in the activity log (as the exception filter does). */
  private async failed(
    ctx: ScimRequestContext,
    op: BulkOperation,
    path: string,
    startedAt: number,
    e: unknown,
  ): Promise<Outcome> {
    const failure = failureOf(e, path, op.data);
    if (failure.status >= 500)
      this.logger.error({ err: e, requestId: ctx.requestId }, 'Unhandled SCIM error in /Bulk');
    await this.events.recordFailure({ ...ctx, method: op.method, path, startedAt }, failure);
    return {
      failed: true,
      response: {
        method: op.method,
        ...(op.bulkId !== undefined && { bulkId: op.bulkId }),
        status: String(failure.status),
        response: scimErrorBody(failure),
      },
    };
  }
}

/** The id the operation's target names, its bulkId resolved when it can be (`bulkId:…` when not). */
function targetId(op: BulkOperation, created: ReadonlyMap<string, string>): string | undefined {
  if (op.target === undefined) return undefined;
  return 'id' in op.target ? op.target.id : (created.get(op.target.bulkId) ?? `bulkId:${op.target.bulkId}`);
}

/** The path of the single request the operation stands for: `/Users`, or `/Users/<id>` with its target's id. */
function pathOf(op: BulkOperation, id: string | undefined): string {
  const collection = op.resourceType === 'User' ? '/Users' : '/Groups';
  return id === undefined ? collection : `${collection}/${id}`;
}

/**
 * What a POST or PUT renders of the resource it wrote: its id alone. A bulk answer carries the location and the
 * version, not the resource, so a group's members (tens of thousands, one more query) are never rendered. A
 * PATCH keeps its own rule (a group's answers 204 unless attributes are asked for).
 */
const ID_ONLY = { attributes: 'id' };

/** The status the single request would have answered. */
const STATUS: Record<BulkMethod, (result: ScimResourceResult | ScimNoContent | undefined) => number> = {
  POST: () => 201,
  PUT: () => 200,
  PATCH: (result) => (result instanceof ScimNoContent ? 204 : 200),
  DELETE: () => 204,
};
