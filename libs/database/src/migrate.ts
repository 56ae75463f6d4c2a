import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * The advisory lock every migration run holds (`pg_advisory_lock`, session level): instances that start
 * together, and a deploy's `migration:run`, apply the pending migrations one at a time, so each is applied once
 * and the others find nothing left to do.
 */
export const MIGRATION_LOCK_KEY = 0x726f6c6c; // "roll"

/**
 * Applies the pending migrations under MIGRATION_LOCK_KEY, each in its own transaction, without the server's
 * statement limits (a migration is never cut short); returns the names applied here.
 */
export async function runMigrations(url: string): Promise<string[]> {
  return underMigrationLock(url, async () => {
    const ds = new DataSource(dataSourceOptions(url));
    await ds.initialize();
    try {
      const done = await ds.runMigrations({ transaction: 'each' });
      return done.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  });
}

/** The migrations not applied yet, by name (for a server that does not migrate on start). */
export async function pendingMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  try {
    const [table] = await ds.query<{ present: boolean }[]>(
      `SELECT to_regclass('migrations') IS NOT NULL AS present`,
    );
    const rows = table?.present ? await ds.query<{ name: string }[]>(`SELECT name FROM migrations`) : [];
    const applied = new Set(rows.map((r) => r.name));
    return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
  } finally {
    await ds.destroy();
  }
}

async function underMigrationLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Reverts the last applied migration, under the same lock (never while another run applies one). */
export async function revertLastMigration(url: string): Promise<void> {
  await underMigrationLock(url, async () => {
    const ds = new DataSource(dataSourceOptions(url));
    await ds.initialize();
    try {
      await ds.undoLastMigration({ transaction: 'each' });
    } finally {
      await ds.destroy();
    }
  });
}
