import { Client } from 'pg';
import { MIGRATIONS, pendingMigrations, runMigrations } from '@rollcall/database';
import { testDatabaseUrl } from '@rollcall/testing';

/** A new, empty database on the test server; dropped after the test. */
async function freshDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(testDatabaseUrl());
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const NAMES = MIGRATIONS.map((m) => new m().name as string);

describe('migrations for many instances', () => {
  it('applies each migration once when several instances migrate at the same moment, and all succeed', async () => {
    const db = await freshDatabase(`rollcall_migrate_${process.pid}_${Date.now()}`);
    try {
      expect(await pendingMigrations(db.url)).toEqual(NAMES);
      // Five instances starting together: one applies everything, the others wait on the lock and find nothing.
      const applied = await Promise.all(Array.from({ length: 5 }, () => runMigrations(db.url)));
      expect(applied.flat().sort()).toEqual([...NAMES].sort());
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const rows = await client.query<{ name: string; n: string }>(
          'SELECT name, count(*) AS n FROM migrations GROUP BY name ORDER BY name',
        );
        expect(rows.rows.map((r) => [r.name, Number(r.n)])).toEqual([...NAMES].sort().map((n) => [n, 1]));
        // The lock is given back: nothing is left holding it.
        const locks = await client.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'`);
        expect(Number(locks.rows[0].n)).toBe(0);
      } finally {
        await client.end();
      }
      expect(await pendingMigrations(db.url)).toEqual([]);
      expect(await runMigrations(db.url)).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
