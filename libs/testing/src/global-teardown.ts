import { rmSync } from 'node:fs';
import { Client } from 'pg';

/** Removes what the global setup made: the throwaway embedded cluster and its folder, or the database. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__ROLLCALL_TEST_DB__;
  if (!state) return;
  globalThis.__ROLLCALL_TEST_DB__ = undefined;
  if (state.embedded) await state.embedded.stop();
  if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  if (state.adminUrl && state.database) {
    const admin = new Client({ connectionString: state.adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${state.database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
