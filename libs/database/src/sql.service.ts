import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DataSource } from 'typeorm';

export interface SqlRunner {
  query<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** The runner of one open transaction (from {@link SqlService.transaction}): what must be written together. */
export interface SqlTransaction extends SqlRunner {
  readonly inTransaction: true;
}

/** The pool's connections at one moment: open, idle, checkouts waiting for one, and the pool's size. */
export interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** At most this many statement texts are prepared (per connection), so odd filters cannot grow it forever. */
const MAX_PREPARED = 256;
/** A statement text seen this often is prepared from then on. */
const PREPARE_AFTER = 3;
const MAX_TRACKED = 10_000;

/**
 * Plain parameterised SQL straight on the connection pool, for the SCIM hot paths where the ORM costs
 * more than it gives. Statements are prepared once per connection (parsed and planned once): fixed ones
 * at once (`prepared: true`), others once they recur — a `userName eq` lookup is always the same text.
 */
@Injectable()
export class SqlService implements SqlRunner {
  private readonly names = new Map<string, string>();
  private readonly seen = new Map<string, number>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The database's URL, for a connection of one's own (LISTEN). */
  get url(): string | undefined {
    return (this.db.options as { url?: string }).url;
  }

  private get pool(): Pool {
    return (this.db.driver as PostgresDriver).master as Pool;
  }

  /** The pool's connections now. */
  poolUsage(): PoolUsage {
    const pool = this.pool;
    return {
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? 0,
    };
  }

  /**
   * Calls `observe` with the seconds a checkout (a query, or a transaction's connection) waited for a connection,
   * for each checkout that found none to take — every connection busy or promised to checkouts ahead of it, and
   * no room for another — once it gets one or gives up. Any other checkout costs a few comparisons more.
   */
  observePoolWaits(observe: (seconds: number) => void): void {
    const pool = this.pool;
    const max = pool.options.max ?? 0;
    const connect = pool.connect.bind(pool) as (
      callback?: ConnectCallback,
    ) => Promise<PoolClient> | undefined;
    // pg's Pool.query and TypeORM's driver both check out through this method. The pool serves its queue in
    // order, from idle connections, then by opening new ones up to `max`.
    pool.connect = ((callback?: ConnectCallback) => {
      if (pool.waitingCount < pool.idleCount + max - pool.totalCount) return connect(callback);
      const started = performance.now();
      const waited = () => observe((performance.now() - started) / 1000);
      if (callback) {
        return connect((err, client, done) => {
          waited();
          callback(err, client, done);
        });
      }
      return connect()!.finally(waited);
    }) as Pool['connect'];
  }

  /** The prepared statement's name for this text, or undefined while it is not worth preparing. */
  private statementName(sql: string, fixed: boolean): string | undefined {
    const known = this.names.get(sql);
    if (known || this.names.size >= MAX_PREPARED) return known;
    if (!fixed) {
      const count = (this.seen.get(sql) ?? 0) + 1;
      if (this.seen.size >= MAX_TRACKED) this.seen.clear();
      this.seen.set(sql, count);
      if (count < PREPARE_AFTER) return undefined;
      this.seen.delete(sql);
    }
    const name = 'rc_' + createHash('sha1').update(sql).digest('hex').slice(0, 24);
    this.names.set(sql, name);
    return name;
  }

  /** Runs one statement; `prepared` for SQL texts from a fixed set, which are prepared on first use. */
  async query<T extends QueryResultRow>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    return (await this.run<T>(this.pool, sql, params, prepared)).rows;
  }

  private run<T extends QueryResultRow>(
    db: Pool | PoolClient,
    sql: string,
    params: unknown[],
    prepared: boolean,
  ): Promise<QueryResult<T>> {
    const name = this.statementName(sql, prepared);
    return name ? db.query<T>({ name, text: sql, values: params }) : db.query<T>(sql, params);
  }

  /**
   * Runs `work` in one transaction on one connection; rolls back if it throws. Its statements are prepared as
   * `query`'s are, once they recur.
   */
  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: SqlTransaction = {
        inTransaction: true,
        query: async <R extends QueryResultRow>(sql: string, params: unknown[] = []) =>
          (await this.run<R>(client, sql, params, false)).rows,
      };
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
}
