import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The pool's size and the time limits every database session runs under. */
export interface PoolSettings {
  size: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  connectTimeoutMs: number;
}

/** For the migration CLI and tests: no statement limits, so that a long migration is never cut short. */
const UNLIMITED: PoolSettings = {
  size: 20,
  statementTimeoutMs: 0,
  lockTimeoutMs: 0,
  idleInTransactionTimeoutMs: 0,
  connectTimeoutMs: 10_000,
};

/** Connection options shared by the server, the migration CLI and the tests. `synchronize` is never on. */
export function dataSourceOptions(
  url: string,
  pool: PoolSettings = UNLIMITED,
  extra: Partial<DataSourceOptions> = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    extra: {
      max: pool.size,
      connectionTimeoutMillis: pool.connectTimeoutMs,
      // Sent with every new connection, so that no session can run, wait for a lock or sit in a transaction
      // longer than this; 0 is PostgreSQL's "no limit".
      statement_timeout: pool.statementTimeoutMs,
      lock_timeout: pool.lockTimeoutMs,
      idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs,
    },
    ...extra,
  } as DataSourceOptions;
}
