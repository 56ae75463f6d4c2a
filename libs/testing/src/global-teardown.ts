import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__ROLLCALL_TEST_DB__;
  if (!state) return;
  if (state.embedded) await state.embedded.stop();
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
