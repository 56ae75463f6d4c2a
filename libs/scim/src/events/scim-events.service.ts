import { Injectable, Logger } from '@nestjs/common';
import { SqlService } from '@rollcall/database';
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

export interface ScimEventFacts {
  resourceType: 'User' | 'Group';
  /** The userName or displayName, when known before the statement runs. */
  name?: string;
  /** A column of the data-modifying CTE holding the name (when it is only known there). */
  nameColumn?: string;
  status: number;
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

/**
 * Writes the sync activity log. A change's event is part of the very statement that makes the change
 * (`wrap`), so the log and the data can never disagree; failures are recorded on their own.
 */
@Injectable()
export class ScimEventsService {
  private readonly logger = new Logger(ScimEventsService.name);

  constructor(private readonly sql: SqlService) {}

  /**
   * Completes `withClause` — a `WITH name AS (<data-modifying statement> RETURNING id, …)` — with the insert
   * of one event per returned row, and selects the returned rows. Appends its parameters to `params`.
   */
  wrap(
    withClause: string,
    cte: string,
    params: unknown[],
    ctx: ScimRequestContext,
    facts: ScimEventFacts,
  ): string {
    const p = (value: unknown): string => `$${params.push(value)}`;
    const name = facts.nameColumn ? `${cte}.${facts.nameColumn}` : `${p(facts.name ?? null)}::text`;
    return `${withClause},
      scim_event AS (
        INSERT INTO scim_events (tenant_id, integration_id, method, path, resource_type, resource_id, resource_name,
                                 status, duration_ms, request_id)
        SELECT ${p(ctx.caller.tenantId)}::uuid, ${p(ctx.caller.integrationId)}::uuid, ${p(ctx.method)}::text,
               ${p(ctx.path)}::text, ${p(facts.resourceType)}::text, ${cte}.id, ${name}, ${p(facts.status)}::smallint,
               ${p(Math.max(0, Math.round(performance.now() - ctx.startedAt)))}::int, ${p(ctx.requestId)}::text
          FROM ${cte})
      SELECT * FROM ${cte}`;
  }

  /** Records a failed request. Never throws: the client gets its error whatever happens here. */
  async recordFailure(ctx: ScimRequestContext, failure: ScimFailure): Promise<void> {
    try {
      await this.sql.query(
        `INSERT INTO scim_events (tenant_id, integration_id, method, path, resource_type, resource_id, resource_name,
                                  status, scim_type, detail, duration_ms, request_id)
         SELECT $1, $2, $3, $4, $5, $6, $12, $7, $8, $9, $10, $11
          WHERE EXISTS (SELECT 1 FROM scim_integrations WHERE tenant_id = $1 AND id = $2)`,
        [
          ctx.caller.tenantId,
          ctx.caller.integrationId,
          ctx.method,
          ctx.path,
          failure.resourceType ?? null,
          failure.resourceId ?? null,
          failure.status,
          failure.scimType ?? null,
          failure.detail.slice(0, MAX_DETAIL),
          Math.max(0, Math.round(performance.now() - ctx.startedAt)),
          ctx.requestId,
          failure.resourceName?.slice(0, 256) ?? null,
        ],
        true,
      );
    } catch (e) {
      this.logger.warn({ err: e, requestId: ctx.requestId }, 'Could not record a failed SCIM request');
    }
  }
}
