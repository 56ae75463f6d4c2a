import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DataSource } from 'typeorm';

export interface SqlRunner {
  query<T extends QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Plain parameterised SQL straight on the connection pool, for the SCIM hot paths where the ORM costs
 * more than it gives. Fixed statements are prepared once per connection (`prepared: true`).
 */
@Injectable()
export class SqlService implements SqlRunner {
  private readonly names = new Map<string, string>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get pool(): Pool {
    return (this.db.driver as PostgresDriver).master as Pool;
  }

  private statementName(sql: string): string {
    let name = this.names.get(sql);
    if (!name) {
      name = 'rc_' + createHash('sha1').update(sql).digest('hex').slice(0, 20);
      this.names.set(sql, name);
    }
    return name;
  }

  /** Runs one statement; `prepared` only for SQL texts from a fixed, small set (never per-request shapes). */
  async query<T extends QueryResultRow>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    const result = prepared
      ? await this.pool.query<T>({ name: this.statementName(sql), text: sql, values: params })
      : await this.pool.query<T>(sql, params);
    return result.rows;
  }

  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: SqlRunner = {
        query: async <R extends QueryResultRow>(sql: string, params: unknown[] = []) =>
          (await client.query<R>(sql, params)).rows,
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
