import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock } from '@rollcall/common';
import { BackgroundSweep, SqlService } from '@rollcall/database';

/**
 * How long an ended portal session, and a used or expired portal link, are kept before the sweep deletes them:
 * a day. Long enough to look into a recent sign-in (a session an admin did not expect, a link that "did not
 * work"): its link, who made it and when it was opened, the session's hint and times are all still there the
 * next day. Beyond that, the audit log (`audit_events`, which this never touches) keeps the record of each link
 * made and each session started and ended; the rows themselves are credentials' hashes, of no use once ended.
 */
export const PORTAL_RETENTION_GRACE_MS = 24 * 60 * 60_000;

const SWEEP_EVERY_MS = 15 * 60_000;
/** Rows one statement deletes at most: each batch is a short transaction that holds few row locks. */
const SWEEP_BATCH = 1000;
const SWEEP_LOCK_KEY = 0x706f7274; // "port"

/** Sessions ended before $1: revoked then, or (never revoked) last seen before $2 = $1 − the idle time. */
const DELETE_SESSIONS = `WITH gone AS (DELETE FROM portal_sessions WHERE (tenant_id, id) IN (
   SELECT tenant_id, id FROM portal_sessions
    WHERE revoked_at < $1 OR (revoked_at IS NULL AND last_seen_at < $2)
    LIMIT ${SWEEP_BATCH})
   RETURNING 1)
 SELECT count(*)::int AS n FROM gone`;

/**
 * Links that could no longer be opened before $1 (used then, or else expired: LEAST skips a null `used_at`) and
 * that no session refers to any more.
 */
const DELETE_LINKS = `WITH gone AS (DELETE FROM portal_links WHERE (tenant_id, id) IN (
   SELECT l.tenant_id, l.id FROM portal_links l
    WHERE LEAST(l.used_at, l.expires_at) < $1
      AND NOT EXISTS (SELECT 1 FROM portal_sessions s WHERE s.tenant_id = l.tenant_id AND s.link_id = l.id)
    LIMIT ${SWEEP_BATCH})
   RETURNING 1)
 SELECT count(*)::int AS n FROM gone`;

/** What one sweep deleted. */
export interface PortalSweep {
  sessions: number;
  links: number;
}

/**
 * Retention of the admin portal's credentials: deletes the sessions that ended (revoked, or idle past
 * PORTAL_SESSION_IDLE_SECONDS) more than PORTAL_RETENTION_GRACE_MS ago, then the links used or expired that long
 * ago that no session refers to any more — sessions first, so that a link's foreign key never finds one. Runs on
 * every instance, every SWEEP_EVERY_MS (the first time shortly after the start), in every tenant at once; times
 * come from the Clock, as PortalService's do. One of the two writers of `portal_links` and `portal_sessions`,
 * beside PortalService (ADR 0001).
 */
@Injectable()
export class PortalRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PortalRetentionService.name);
  private readonly sweeper: BackgroundSweep<PortalSweep>;

  constructor(
    sql: SqlService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.sweeper = new BackgroundSweep(
      sql,
      {
        everyMs: SWEEP_EVERY_MS,
        firstMs: 5_000,
        lockKey: SWEEP_LOCK_KEY,
        logger: this.logger,
        failure: 'Could not remove ended portal sessions and links',
      },
      () => this.sweepOnce(),
    );
  }

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  /** Before the connection pool closes: the sweep under way finishes its batch. */
  onModuleDestroy(): Promise<void> {
    return this.sweeper.stop();
  }

  /** Deletes what has ended, in batches, in every tenant; what it deleted. Rejects on a database error. */
  sweep(): Promise<PortalSweep> {
    return this.sweeper.run();
  }

  private async sweepOnce(): Promise<PortalSweep> {
    const now = this.clock.now().getTime();
    const endedBefore = new Date(now - PORTAL_RETENTION_GRACE_MS);
    const lastSeenBefore = new Date(endedBefore.getTime() - this.config.portal.sessionIdleSeconds * 1000);
    const count = async (rows: Promise<{ n: number }[]>) => (await rows)[0].n;
    const sessions = await this.sweeper.batches(SWEEP_BATCH, (tx) =>
      count(tx.query(DELETE_SESSIONS, [endedBefore, lastSeenBefore])),
    );
    const links = this.sweeper.stopped
      ? 0
      : await this.sweeper.batches(SWEEP_BATCH, (tx) => count(tx.query(DELETE_LINKS, [endedBefore])));
    if (sessions + links > 0) {
      this.logger.log({ sessions, links }, 'Removed ended portal sessions and links');
    }
    return { sessions, links };
  }
}
