import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations, startEmbeddedPostgres, type EmbeddedDatabase } from '@rollcall/database';
import globalTeardown from './global-teardown';

declare global {
  var __ROLLCALL_TEST_DB__:
    { embedded?: EmbeddedDatabase; dir?: string; adminUrl?: string; database?: string } | undefined;
}

/**
 * One database for the whole test run, migrated once: a throwaway embedded PostgreSQL, or — when
 * DATABASE_URL is given — a fresh database created on that server (and dropped afterwards).
 * Tests isolate themselves by creating their own tenants, as the product does.
 *
 * The throwaway cluster lives in a fresh temporary folder (as root, where the `postgres` user cannot enter
 * it, in /var/lib/rollcall/tmp/ instead); both are removed by the global teardown, or on Ctrl-C.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.ROLLCALL_TEST_NO_DB) return;
  const given = process.env.DATABASE_URL;
  let url: string;
  if (given) {
    const database = `rollcall_test_${process.pid}_${Date.now()}`;
    const admin = new Client({ connectionString: given });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    const u = new URL(given);
    u.pathname = `/${database}`;
    url = u.toString();
    globalThis.__ROLLCALL_TEST_DB__ = { adminUrl: given, database };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-test-'));
    globalThis.__ROLLCALL_TEST_DB__ = { dir };
    const embedded = await startEmbeddedPostgres({ dir, persistent: false, database: 'rollcall_test' });
    globalThis.__ROLLCALL_TEST_DB__.embedded = embedded;
    url = embedded.url;
    // An interrupted run (Ctrl-C) leaves no server and no throwaway folder behind.
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      process.once(signal, () => void globalTeardown().finally(() => process.exit(code)));
    }
  }
  await runMigrations(url);
  process.env.ROLLCALL_TEST_DATABASE_URL = url;
}
