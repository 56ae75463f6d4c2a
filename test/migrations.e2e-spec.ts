import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { pendingMigrations, revertLastMigration, runMigrations } from '@rollcall/database';
import {
  freshDatabase,
  migrateTo,
  migrationBefore,
  MIGRATION_NAMES as NAMES,
  queryOn,
} from './fixtures/database';
import { freePort } from './fixtures/http';
import { spawnServer } from './fixtures/server';

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
        // The lock is given back: nothing is left holding it (in this database; other tests migrate theirs).
        const locks = await client.query(
          `SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
        );
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

describe('migration ScimEventChanges1796572800000', () => {
  const TARGET = 'ScimEventChanges1796572800000';

  it('gives every event no changes and the outcome its status says, and its down gives the rows back', async () => {
    const db = await freshDatabase('rollcall_event_changes');
    try {
      await migrateTo(db.url, migrationBefore(TARGET));
      const [tenant, group, integration] = [randomUUID(), randomUUID(), randomUUID()];
      await queryOn(db.url, `INSERT INTO tenants (id, name) VALUES ($1, 'Acme')`, [tenant]);
      await queryOn(db.url, `INSERT INTO groups (id, tenant_id, name) VALUES ($1, $2, 'Staff')`, [
        group,
        tenant,
      ]);
      await queryOn(
        db.url,
        `INSERT INTO scim_integrations (id, tenant_id, name, provider, group_id) VALUES ($1, $2, 'Okta', 'okta', $3)`,
        [integration, tenant, group],
      );
      await queryOn(
        db.url,
        `INSERT INTO scim_events (tenant_id, integration_id, method, path, status, duration_ms, request_id, count)
         VALUES ($1, $2, 'POST', '/Users', 201, 3, 'req-1', 1), ($1, $2, 'GET', '/Users', 200, 1, 'req-2', 1),
                ($1, $2, 'POST', '/Users', 409, 2, 'req-3', 1), ($1, $2, 'GET', '/Users', 429, 0, 'req-4', 17)`,
        [tenant, integration],
      );
      const events = () =>
        queryOn(db.url, `SELECT to_jsonb(e) AS row FROM scim_events e ORDER BY e.request_id`).then((rows) =>
          rows.map((r) => r.row as Record<string, unknown>),
        );
      const before = await events();

      expect(await migrateTo(db.url, TARGET)).toEqual([TARGET]);
      const after = await events();
      expect(after.map((e) => [e.request_id, e.changes, e.outcome])).toEqual([
        ['req-1', null, 'changed'],
        ['req-2', null, 'changed'],
        ['req-3', null, 'failed'],
        ['req-4', null, 'failed'],
      ]);
      expect(after.map(({ changes: _changes, outcome: _outcome, ...rest }) => rest)).toEqual(before);

      await revertLastMigration(db.url);
      expect(await events()).toEqual(before);
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('migration ScimEventIndexes1796832000000', () => {
  const TARGET = 'ScimEventIndexes1796832000000';
  const eventIndexes = (url: string) =>
    queryOn<{ name: string }>(
      url,
      `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'scim_events'`,
    ).then((rows) => rows.map((r) => r.name).sort());

  it('drops the index on time alone, and its down puts it back', async () => {
    const db = await freshDatabase('rollcall_event_indexes');
    try {
      await migrateTo(db.url, TARGET);
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
      // Down to just before it, as `npm run migration:revert` does.
      await revertLastMigration(db.url);
      expect(await eventIndexes(db.url)).toEqual([...after, 'IDX_scim_events_created'].sort());
      expect(await migrateTo(db.url, TARGET)).toEqual([TARGET]);
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
