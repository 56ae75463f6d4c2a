import type { LoggerService } from '@nestjs/common';
import type { SqlService, SqlTransaction } from './sql.service';

export interface BackgroundSweepOptions {
  /** Every this long, on every instance. */
  everyMs: number;
  /** The first run, this long after the start, off the start's own work. */
  firstMs: number;
  /**
   * The transaction-level advisory lock each batch takes first (`pg_advisory_xact_lock`), so that instances
   * sweeping at once take turns, batch by batch: two `DELETE … IN (SELECT … LIMIT n)` running together could
   * lock the same rows in different orders and deadlock. A batch takes milliseconds, far below the lock timeout.
   */
  lockKey: number;
  logger: LoggerService;
  /** What the log says when a timer's run fails. */
  failure: string;
}

/**
 * A retention sweep that every instance runs on a timer (the activity log's, the admin portal's). A tick while
 * a run is under way is skipped, and a failed run is logged, not thrown. `stop()`, called before the connection
 * pool closes (OnModuleDestroy), stops the timers and waits for the run under way, which ends after its batch.
 * A caller's `run()` (tests) waits behind the one under way. `batches` runs a sweep's statement under the lock.
 */
export class BackgroundSweep<T> {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<T> | undefined;
  private stopping = false;

  constructor(
    private readonly sql: SqlService,
    private readonly options: BackgroundSweepOptions,
    private readonly work: () => Promise<T>,
  ) {}

  start(): void {
    this.timers = [
      setTimeout(() => this.onTimer(), this.options.firstMs),
      setInterval(() => this.onTimer(), this.options.everyMs),
    ];
    this.timers.forEach((t) => t.unref());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.timers.forEach((t) => clearTimeout(t));
    this.timers = [];
    await this.running?.catch(() => undefined);
  }

  /** One run (of `work`, the sweep's own by default), after the one under way; rejects on a database error. */
  run(work: () => Promise<T> = this.work): Promise<T> {
    const next = (this.running ?? Promise.resolve()).catch(() => undefined).then(work);
    const current = next.finally(() => {
      if (this.running === current) this.running = undefined;
    });
    this.running = current;
    return current;
  }

  /**
   * Runs `batch` (a statement that deletes at most `size` rows and says how many) in its own short transaction
   * under the sweep's advisory lock, again and again until one deletes fewer than `size` or the application
   * stops; how many in all.
   */
  async batches(size: number, batch: (tx: SqlTransaction) => Promise<number>): Promise<number> {
    let removed = 0;
    for (;;) {
      const n = await this.sql.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock($1)`, [this.options.lockKey]);
        return batch(tx);
      });
      removed += n;
      if (n < size || this.stopping) return removed;
    }
  }

  /** Whether the application is stopping: a sweep that loops on its own checks it between steps. */
  get stopped(): boolean {
    return this.stopping;
  }

  private onTimer(): void {
    if (this.running || this.stopping) return;
    this.run().catch((e: unknown) => {
      this.options.logger.warn({ err: e }, this.options.failure);
    });
  }
}
