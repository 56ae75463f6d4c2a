import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig, decodeTimeCursor, timePage } from '@rollcall/common';
import { BackgroundSweep, type ScimEventOutcome, SqlService, type SqlRunner } from '@rollcall/database';
import type { ActivityEventDto, ActivityPageDto, EventQuery } from './activity.dto';

interface EventRow {
  id: string;
  created_at: Date;
  /** created_at with its microseconds, for the cursor. */
  created_text: string;
  method: string;
  path: string;
  resource_type: string | null;
  resource_id: string | null;
  resource_name: string | null;
  status: number;
  scim_type: string | null;
  detail: string | null;
  duration_ms: number;
  request_id: string;
  count: number;
  changes: Record<string, unknown> | null;
  outcome: ScimEventOutcome;
}

const SWEEP_EVERY_MS = 15 * 60_000;
/** Events removed per statement. */
const SWEEP_BATCH = 5000;
const SWEEP_LOCK_KEY = 0x61637476; // "actv"
/** Integrations listed per statement. */
const SWEEP_PAGE = 500;
/** Below every id gen_random_uuid() makes: where the list of integrations starts. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Reads the sync activity log for admins and removes events past the retention period. */
@Injectable()
export class ActivityService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ActivityService.name);
  private readonly sweeper: BackgroundSweep<number>;

  constructor(
    private readonly sql: SqlService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.sweeper = new BackgroundSweep(
      sql,
      {
        everyMs: SWEEP_EVERY_MS,
        firstMs: 5_000,
        lockKey: SWEEP_LOCK_KEY,
        logger: this.logger,
        failure: 'Could not remove expired sync activity events',
      },
      () => this.sweepOnce(SWEEP_BATCH, SWEEP_PAGE),
    );
  }

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  /** Before the connection pool closes: the sweep under way finishes its batch. */
  onModuleDestroy(): Promise<void> {
    return this.sweeper.stop();
  }

  /**
   * Deletes events older than EVENTS_RETENTION_DAYS; returns how many, or rejects on a database error. It goes
   * integration by integration, on each one's (tenant, integration, time) index, so each delete is pinned to one
   * tenant (ADR 0004) and the table needs no index on time alone: the integrations are listed `page` at a time,
   * keyset on their key, each with whether its oldest event is past the cutoff (one index probe), and those that
   * are lose their expired events, `batch` per statement.
   */
  sweep(batch = SWEEP_BATCH, page = SWEEP_PAGE): Promise<number> {
    return this.sweeper.run(() => this.sweepOnce(batch, page));
  }

  private async sweepOnce(batch: number, page: number): Promise<number> {
    let removed = 0;
    let after = { tenant_id: NIL_UUID, id: NIL_UUID };
    while (!this.sweeper.stopped) {
      const integrations = await this.sql.query<{ tenant_id: string; id: string; expired: boolean | null }>(
        `SELECT i.tenant_id, i.id,
                (SELECT min(e.created_at) FROM scim_events e WHERE e.tenant_id = i.tenant_id AND e.integration_id = i.id)
                  < now() - make_interval(days => $3) AS expired
           FROM scim_integrations i WHERE (i.tenant_id, i.id) > ($1::uuid, $2::uuid)
          ORDER BY i.tenant_id, i.id LIMIT $4`,
        [after.tenant_id, after.id, this.config.eventsRetentionDays, page],
      );
      for (const integration of integrations) {
        if (!integration.expired || this.sweeper.stopped) continue;
        removed += await this.sweeper.batches(batch, async (tx) => {
          const [{ n }] = await tx.query<{ n: number }>(
            `WITH gone AS (DELETE FROM scim_events WHERE tenant_id = $1 AND id IN (
               SELECT id FROM scim_events WHERE tenant_id = $1 AND integration_id = $2 AND created_at < now() - make_interval(days => $3)
                LIMIT $4)
               RETURNING 1)
             SELECT count(*)::int AS n FROM gone`,
            [integration.tenant_id, integration.id, this.config.eventsRetentionDays, batch],
          );
          return n;
        });
      }
      if (integrations.length < page) break;
      after = integrations[integrations.length - 1];
    }
    if (removed > 0) this.logger.log({ removed }, 'Removed expired sync activity events');
    return removed;
  }

  /** Newest first, keyset-paginated on (time, id). The integration must be the tenant's (checked by the caller). */
  async list(tenantId: string, integrationId: string, q: EventQuery): Promise<ActivityPageDto> {
    const params: unknown[] = [tenantId, integrationId];
    const where = ['tenant_id = $1', 'integration_id = $2'];
    if (q.status) where.push(q.status === 'failed' ? 'status >= 400' : 'status < 400');
    if (q.resourceType) where.push(`resource_type = $${params.push(q.resourceType)}`);
    if (q.resourceId) where.push(`resource_id = $${params.push(q.resourceId)}`);
    if (q.resourceName) where.push(`lower(resource_name) = lower($${params.push(q.resourceName)})`);
    if (q.since) where.push(`created_at >= $${params.push(q.since)}`);
    if (q.cursor) {
      const [time, id] = decodeTimeCursor(q.cursor);
      where.push(`(created_at, id) < ($${params.push(time)}::timestamptz, $${params.push(id)}::bigint)`);
    }
    const rows = await this.sql.query<EventRow>(
      `SELECT id, created_at, created_at::text AS created_text, method, path, resource_type, resource_id, resource_name, status, scim_type, detail,
              duration_ms, request_id, count, changes, outcome
         FROM scim_events WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`,
      params,
    );
    return timePage(rows, q.limit, toDto);
  }

  /** The last SCIM request and the failures of the last 24 hours, per integration. */
  async summary(
    tenantId: string,
    integrationIds: string[],
    db: SqlRunner = this.sql,
  ): Promise<Map<string, { lastEventAt: Date | null; failed24h: number }>> {
    if (integrationIds.length === 0) return new Map();
    const rows = await db.query<{ integration_id: string; last_event_at: Date | null; failed: string }>(
      `SELECT i.id AS integration_id,
              (SELECT max(created_at) FROM scim_events e WHERE e.tenant_id = i.tenant_id AND e.integration_id = i.id) AS last_event_at,
              (SELECT coalesce(sum(e.count), 0) FROM scim_events e WHERE e.tenant_id = i.tenant_id AND e.integration_id = i.id
                  AND e.status >= 400 AND e.created_at > now() - interval '24 hours') AS failed
         FROM scim_integrations i WHERE i.tenant_id = $1 AND i.id = ANY($2::uuid[])`,
      [tenantId, integrationIds],
    );
    return new Map(
      rows.map((r) => [r.integration_id, { lastEventAt: r.last_event_at, failed24h: Number(r.failed) }]),
    );
  }
}

function toDto(r: EventRow): ActivityEventDto {
  return {
    id: String(r.id),
    time: r.created_at,
    method: r.method,
    path: r.path,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    resourceName: r.resource_name,
    status: r.status,
    outcome: r.outcome,
    scimType: r.scim_type,
    detail: r.detail,
    durationMs: r.duration_ms,
    requestId: r.request_id,
    count: r.count,
    changes: r.changes,
  };
}
