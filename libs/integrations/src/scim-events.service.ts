import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Metrics } from '@rollcall/common';
import { SqlService, type SqlRunner } from '@rollcall/database';
import type { ScimCaller } from '@rollcall/tokens';

/** Who asked, and what: the facts the activity log keeps about a SCIM request. */
export interface ScimRequestContext {
  caller: ScimCaller;
  requestId: string;
  method: string;
  /** The path below /scim/v2, without the query string (it may carry personal data). */
  path: string;
  startedAt: number;
}

/** What {@link withEvent} needs to know of the statement it completes. */
export interface ScimEventStatement {
  /** The data-modifying CTE's name. */
  cte: string;
  /** How many parameters the statement itself takes ($1 the tenant, $2 the integration, … up to this). */
  ownParams: number;
  resourceType: 'User' | 'Group';
  /** The CTE's column holding the resource's name (userName, displayName). */
  nameColumn: string;
  /** What the statement answers; every row of the CTE by default. */
  select?: string;
  /** The CTE's column holding what the write changed (jsonb, null for nothing to show); none by default. */
  changesColumn?: string;
  /** The CTE's column holding the event's outcome (`changed` or `unchanged`); `changed` by default. */
  outcomeColumn?: string;
}

/** A resource a write left as it was, for its `unchanged` event. */
export interface ScimUnchanged {
  resourceType: 'User' | 'Group';
  resourceId: string;
  resourceName: string;
}

/** What a request's path names, when it names a user or a group. */
export interface ScimResourceRef {
  resourceType?: 'User' | 'Group';
  resourceId?: string;
}

export interface ScimFailure {
  status: number;
  scimType?: string;
  detail: string;
  resourceType?: 'User' | 'Group';
  resourceId?: string;
  resourceName?: string;
}

const MAX_DETAIL = 1000;
/** At most this many integrations are remembered as having events; past that the set starts again. */
const MAX_KNOWN_WITH_EVENTS = 10_000;
/** How often the counts of this minute's refusal summaries are written. */
const TALLY_FLUSH_MS = 5_000;

/** This minute's refusals of one integration: one event, its count kept up to date. */
interface RefusalTally {
  tenantId: string;
  integrationId: string;
  minute: number;
  count: number;
  written: number;
  /** The summary event's id, once inserted. */
  eventId: Promise<string | undefined>;
}

/**
 * Completes `withClause` — `WITH <cte> AS (<data-modifying statement> RETURNING id, <nameColumn>, …)`, whose
 * parameters are $1 (the tenant), $2 (the integration) and the others up to `$<ownParams>` — with the insert of
 * one activity event per row the CTE returns, in the same statement: the log and the data can never disagree.
 * The event's own values ({@link eventValues}) follow the statement's. The text depends on nothing a request
 * brings, so a service builds it once.
 */
export function withEvent(withClause: string, statement: ScimEventStatement): string {
  const { cte, ownParams: n, resourceType, nameColumn, changesColumn, outcomeColumn } = statement;
  const changes = changesColumn ? `${cte}.${changesColumn}` : 'NULL::jsonb';
  const outcome = outcomeColumn ? `${cte}.${outcomeColumn}` : `'changed'`;
  return `${withClause},
      scim_event AS (
        INSERT INTO scim_events (tenant_id, integration_id, method, path, resource_type, resource_id, resource_name,
                                 status, duration_ms, request_id, changes, outcome)
        SELECT $1::uuid, $2::uuid, $${n + 1}::text, $${n + 2}::text, '${resourceType}', ${cte}.id, ${cte}.${nameColumn},
               $${n + 3}::smallint, $${n + 4}::int, $${n + 5}::text, ${changes}, ${outcome}
          FROM ${cte})
      ${statement.select ?? `SELECT * FROM ${cte}`}`;
}

/**
 * The values of the event of a {@link withEvent} statement, to append to the statement's own: method, path,
 * status, duration_ms, request_id.
 */
export function eventValues(ctx: ScimRequestContext, status: number): unknown[] {
  return [
    ctx.method,
    ctx.path,
    status,
    Math.max(0, Math.round(performance.now() - ctx.startedAt)),
    ctx.requestId,
  ];
}

/**
 * The first values of an event inserted on its own: $1 tenant_id, $2 integration_id, then {@link eventValues}
 * ($3 method, $4 path, $5 status, $6 duration_ms, $7 request_id).
 */
function requestValues(ctx: ScimRequestContext, status: number): unknown[] {
  return [ctx.caller.tenantId, ctx.caller.integrationId, ...eventValues(ctx, status)];
}

/**
 * Writes the sync activity log: a change's event is written by the change's own statement ({@link withEvent});
 * failures, refusals and an integration's first request when it only reads are recorded here, on their own.
 * Every event written is counted in the metrics.
 */
@Injectable()
export class ScimEventsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ScimEventsService.name);
  private readonly tallies = new Map<string, RefusalTally>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Integrations known to have an event in the log already: their reads are not recorded. */
  private readonly withEvents = new Set<string>();
  /** First reads being recorded, per integration: reads sent together wait for the one statement. */
  private readonly firstReads = new Map<string, Promise<void>>();

  constructor(
    private readonly sql: SqlService,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Counts the event a {@link withEvent} statement wrote with its change: called once that statement has returned
   * the changed row and, inside a transaction, once the transaction has committed.
   */
  changeLogged(outcome: 'changed' | 'unchanged' = 'changed'): void {
    this.metrics.scimEventsWritten(outcome === 'changed' ? 'change' : 'unchanged');
  }

  /**
   * Records a write that left the resource as it was (an identity provider re-sending what it sent before), when
   * no statement wrote the resource to carry the event: on `db`, the caller's transaction or the pool. Counted
   * at once, or by the caller once its transaction has committed (`counted` false).
   */
  async recordUnchanged(
    db: SqlRunner,
    ctx: ScimRequestContext,
    resource: ScimUnchanged,
    status: number,
    counted = true,
  ): Promise<void> {
    await db.query(
      `INSERT INTO scim_events (tenant_id, integration_id, method, path, status, duration_ms, request_id,
                                resource_type, resource_id, resource_name, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'unchanged')`,
      [...requestValues(ctx, status), resource.resourceType, resource.resourceId, resource.resourceName],
    );
    if (counted) this.changeLogged('unchanged');
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushTallies(Number.POSITIVE_INFINITY);
  }

  /** Records a failed request. Never throws: the client gets its error whatever happens here. */
  async recordFailure(ctx: ScimRequestContext, failure: ScimFailure): Promise<void> {
    try {
      const rows = await this.sql.query(
        `INSERT INTO scim_events (tenant_id, integration_id, method, path, status, duration_ms, request_id,
                                  resource_type, resource_id, resource_name, scim_type, detail, outcome)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'failed'
          WHERE EXISTS (SELECT 1 FROM scim_integrations WHERE tenant_id = $1 AND id = $2)
         RETURNING 1`,
        [
          ...requestValues(ctx, failure.status),
          failure.resourceType ?? null,
          failure.resourceId ?? null,
          failure.resourceName?.slice(0, 256) ?? null,
          failure.scimType ?? null,
          failure.detail.slice(0, MAX_DETAIL),
        ],
        true,
      );
      // None when the integration was deleted meanwhile.
      this.metrics.scimEventsWritten('failure', rows.length);
    } catch (e) {
      this.metrics.scimEventWriteFailed('failure');
      this.logger.warn({ err: e, requestId: ctx.requestId }, 'Could not record a failed SCIM request');
    }
  }

  /** Whether this instance knows the integration has an event already: then a read of it is not recorded. */
  hasEvents(integrationId: string): boolean {
    return this.withEvents.has(integrationId);
  }

  /**
   * Records a successful read (`status` < 400) as the integration's first request (outcome `read`) when the log
   * holds no event of the integration yet, so that an admin sees the identity provider connected even when it
   * has only looked users up (Okta's Test API Credentials). Later reads are not recorded. Once the integration is
   * known here to have events, a read costs nothing; before that, one statement, whose condition decides (so
   * another instance, or this one after a restart, never adds a second). Reads of one integration sent together
   * share that statement. Never throws: the client gets its answer whatever happens here.
   */
  recordFirstRead(ctx: ScimRequestContext, status: number, resource: ScimResourceRef = {}): Promise<void> {
    const integrationId = ctx.caller.integrationId;
    if (this.withEvents.has(integrationId)) return Promise.resolve();
    const pending = this.firstReads.get(integrationId);
    if (pending) return pending;
    const recording = this.insertFirstRead(ctx, status, resource).finally(() =>
      this.firstReads.delete(integrationId),
    );
    this.firstReads.set(integrationId, recording);
    return recording;
  }

  private async insertFirstRead(
    ctx: ScimRequestContext,
    status: number,
    resource: ScimResourceRef,
  ): Promise<void> {
    try {
      const rows = await this.sql.query(
        `INSERT INTO scim_events (tenant_id, integration_id, method, path, status, duration_ms, request_id,
                                  resource_type, resource_id, outcome)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'read'
          WHERE EXISTS (SELECT 1 FROM scim_integrations WHERE tenant_id = $1 AND id = $2)
            AND NOT EXISTS (SELECT 1 FROM scim_events WHERE tenant_id = $1 AND integration_id = $2)
         RETURNING 1`,
        [...requestValues(ctx, status), resource.resourceType ?? null, resource.resourceId ?? null],
        true,
      );
      // None when the integration has events already (or was deleted meanwhile): either way, nothing more to do.
      this.metrics.scimEventsWritten('first_read', rows.length);
      if (this.withEvents.size >= MAX_KNOWN_WITH_EVENTS) this.withEvents.clear();
      this.withEvents.add(ctx.caller.integrationId);
    } catch (e) {
      this.metrics.scimEventWriteFailed('first_read');
      this.logger.warn({ err: e, requestId: ctx.requestId }, 'Could not record the first SCIM request');
    }
  }

  /**
   * Counts a request refused before it was read (429): the first refusal of a minute is written as a
   * summary event at once, the later ones of that minute only raise its `count` (written every few
   * seconds), so that a flood of refusals costs the database almost nothing.
   */
  recordRefusal(ctx: ScimRequestContext, status: number, detail: string): void {
    const minute = Math.floor(Date.now() / 60_000);
    const key = ctx.caller.integrationId;
    const tally = this.tallies.get(key);
    if (tally && tally.minute === minute) {
      tally.count++;
      this.scheduleFlush();
      return;
    }
    const eventId = this.insertSummary(ctx, status, detail);
    this.tallies.set(key, {
      tenantId: ctx.caller.tenantId,
      integrationId: key,
      minute,
      count: 1,
      written: 1,
      eventId,
    });
    if (tally) void this.flushTally(tally);
  }

  private async insertSummary(
    ctx: ScimRequestContext,
    status: number,
    detail: string,
  ): Promise<string | undefined> {
    try {
      const rows = await this.sql.query<{ id: string }>(
        `INSERT INTO scim_events (tenant_id, integration_id, method, path, status, detail, duration_ms, request_id, count, outcome)
         SELECT $1, $2, $3, $4, $5, $6, 0, $7, 1, 'failed'
          WHERE EXISTS (SELECT 1 FROM scim_integrations WHERE tenant_id = $1 AND id = $2)
         RETURNING id`,
        [
          ctx.caller.tenantId,
          ctx.caller.integrationId,
          ctx.method,
          ctx.path,
          status,
          `${detail.slice(0, MAX_DETAIL - 80)} (the first request refused this minute; count says how many)`,
          ctx.requestId,
        ],
        true,
      );
      this.metrics.scimEventsWritten('refusal_summary', rows.length);
      return rows[0]?.id;
    } catch (e) {
      this.metrics.scimEventWriteFailed('refusal_summary');
      this.logger.warn({ err: e, requestId: ctx.requestId }, 'Could not record a refused SCIM request');
      return undefined;
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushTallies(Math.floor(Date.now() / 60_000));
    }, TALLY_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Writes every tally's count; forgets the tallies of minutes before `currentMinute`. */
  private async flushTallies(currentMinute: number): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [key, tally] of this.tallies) {
      if (tally.minute < currentMinute) this.tallies.delete(key);
      work.push(this.flushTally(tally));
    }
    await Promise.all(work);
    if ([...this.tallies.values()].some((t) => t.count > t.written)) this.scheduleFlush();
  }

  private async flushTally(tally: RefusalTally): Promise<void> {
    const count = tally.count;
    if (count === tally.written) return;
    const id = await tally.eventId;
    if (id === undefined) return;
    try {
      await this.sql.query(
        `UPDATE scim_events SET count = $4 WHERE tenant_id = $1 AND integration_id = $2 AND id = $3`,
        [tally.tenantId, tally.integrationId, id, count],
        true,
      );
      tally.written = Math.max(tally.written, count);
    } catch (e) {
      this.logger.warn({ err: e }, 'Could not update a summary of refused SCIM requests');
    }
  }
}
