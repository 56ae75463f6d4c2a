import { Injectable, Logger } from '@nestjs/common';
import { SqlService } from './sql.service';

/** The tables whose query plans depend most on fresh statistics (look-ups inside one directory). */
export type TrackedTable = 'scim_users' | 'groups' | 'group_members';

/** Rows written by this process to a table before it refreshes the table's statistics. */
const WRITES_BEFORE_ANALYZE = 1000;
/** At most one ANALYZE of a table this often, per process. */
const MIN_INTERVAL_MS = 60_000;

/**
 * Keeps the planner's statistics fresh while a directory is being filled. Until a table has statistics,
 * PostgreSQL takes `tenant_id = …` for a selective condition and may walk a whole directory instead of
 * using the unique userName index; autovacuum catches up only after its next round. An identity provider's
 * first import is exactly that moment, so after every thousand rows written here the table is analysed
 * (in the background, at most once a minute).
 */
@Injectable()
export class StatisticsService {
  private readonly logger = new Logger(StatisticsService.name);
  private readonly pending = new Map<TrackedTable, number>();
  private readonly lastRun = new Map<TrackedTable, number>();

  constructor(private readonly sql: SqlService) {}

  noteWrites(table: TrackedTable, rows: number): void {
    const count = (this.pending.get(table) ?? 0) + rows;
    this.pending.set(table, count);
    const now = Date.now();
    if (count < WRITES_BEFORE_ANALYZE || now - (this.lastRun.get(table) ?? 0) < MIN_INTERVAL_MS) return;
    this.pending.set(table, 0);
    this.lastRun.set(table, now);
    this.sql
      .query(`ANALYZE ${table}`)
      .catch((e: unknown) => this.logger.warn({ err: e, table }, 'ANALYZE failed'));
  }
}
