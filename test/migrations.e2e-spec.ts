import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { MIGRATIONS, pendingMigrations, revertLastMigration, runMigrations } from '@rollcall/database';
import { freshDatabase, queryOn } from './fixtures/database';
import { freePort } from './fixtures/http';
import { spawnServer } from './fixtures/server';

const NAMES = MIGRATIONS.map((m) => new m().name as string);

describe('migrations for many instances', () => {
  it('applies each migration once when several instances migrate at the same moment, and all succeed', async () => {
    const db = await freshDatabase('rollcall_migrate');
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

  it('two server processes started together on a new database: one migrates, both come up and serve', async () => {
    const db = await freshDatabase('rollcall_starts');
    const operatorToken = randomBytes(24).toString('hex');
    const servers = await Promise.all([
      startServer(db.url, operatorToken),
      startServer(db.url, operatorToken),
    ]);
    try {
      const started = await Promise.all(servers.map((s) => s.listening));
      const messages = started.map((lines) => lines.map((l) => l.msg));
      // Exactly one of them applied every migration; the other found the schema up to date.
      const applied = started.flatMap((lines) => lines.filter((l) => l.msg === 'Migrations applied'));
      expect(applied).toHaveLength(1);
      expect(applied[0].applied).toEqual(NAMES);
      expect(messages.filter((m) => m.includes('The schema is up to date'))).toHaveLength(1);
      for (const lines of started) {
        const address = lines.find((l) => l.msg === 'Rollcall is listening')!.address as { port: number };
        await request(`http://127.0.0.1:${address.port}`).get('/health').expect(200);
        await request(`http://127.0.0.1:${address.port}`)
          .post('/api/v1/tenants')
          .auth(operatorToken, { type: 'bearer' })
          .send({ name: `Started ${address.port}` })
          .expect(201);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await db.drop();
    }
  }, 120_000);
});

describe('migration ScimEventIndexes1796832000000', () => {
  const eventIndexes = (url: string) =>
    queryOn<{ name: string }>(
      url,
      `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'scim_events'`,
    ).then((rows) => rows.map((r) => r.name).sort());

  it('drops the index on time alone, and its down puts it back', async () => {
    const db = await freshDatabase('rollcall_event_indexes');
    try {
      await runMigrations(db.url);
      const after = await eventIndexes(db.url);
      expect(after).not.toContain('IDX_scim_events_created');
      expect(after).toEqual(
        expect.arrayContaining([
          'IDX_scim_events_integration_time',
          'IDX_scim_events_failed',
          'IDX_scim_events_resource',
          'IDX_scim_events_resource_name',
        ]),
      );
      // Down to just before it, one migration at a time, as `npm run migration:revert` does.
      while (!(await pendingMigrations(db.url)).includes('ScimEventIndexes1796832000000'))
        await revertLastMigration(db.url);
      expect(await eventIndexes(db.url)).toEqual([...after, 'IDX_scim_events_created'].sort());
      await runMigrations(db.url);
      expect(await eventIndexes(db.url)).toEqual(after);
    } finally {
      await db.drop();
    }
  }, 60_000);
});

/** The server as `npm start` runs it (from source, transpiled on the fly), on a port of its own. */
async function startServer(databaseUrl: string, operatorToken: string) {
  const port = await freePort();
  const server = spawnServer(
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ROLLCALL_OPERATOR_TOKEN: operatorToken,
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
    },
  );
  return {
    listening: server.listening,
    stop: async () => {
      const { code } = await server.stop();
      expect({ code, stderr: server.stderr() }).toEqual({ code: 0, stderr: '' });
    },
  };
}
