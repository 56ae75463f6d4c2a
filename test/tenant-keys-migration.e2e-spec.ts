import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { revertLastMigration } from '@rollcall/database';
import { catalogViolations } from '@rollcall/testing';
import { freshDatabase, migrateTo, migrationBefore } from './fixtures/database';

/** The migration under test, and the one before it: the schema a database had until then. */
const TARGET = 'TenantCompositeKeys1796400000000';
const BEFORE = migrationBefore(TARGET);
const TABLES = [
  'tenants',
  'scim_integrations',
  'api_tokens',
  'groups',
  'scim_users',
  'group_members',
  'scim_events',
];

/** Two tenants' worth of every kind of row, written as the previous version wrote them. */
async function fill(db: Client): Promise<{ tenants: string[]; groups: string[] }> {
  const tenants: string[] = [];
  const groups: string[] = [];
  for (const name of ['Acme', 'Globex']) {
    const [tenant, target, pushed, integration, ann, bob] = Array.from({ length: 6 }, () => randomUUID());
    tenants.push(tenant);
    groups.push(target);
    await db.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [tenant, name]);
    await db.query(`INSERT INTO groups (id, tenant_id, name) VALUES ($1, $2, $3)`, [
      target,
      tenant,
      `${name} staff`,
    ]);
    await db.query(
      `INSERT INTO scim_integrations (id, tenant_id, name, provider, group_id, last_request_at)
       VALUES ($1, $2, 'Okta', 'okta', $3, now())`,
      [integration, tenant, target],
    );
    await db.query(
      `INSERT INTO groups (id, tenant_id, integration_id, name, external_id, resource) VALUES ($1, $2, $3, 'Pushed', 'ext-1', '{"displayName":"Pushed"}')`,
      [pushed, tenant, integration],
    );
    await db.query(
      `INSERT INTO api_tokens (tenant_id, kind, integration_id, name, token_hash, hint, last_used_at)
       VALUES ($1, 'admin', NULL, 'initial', $2, 'rc_adm_…aaaa', now()),
              ($1, 'scim', $3, NULL, $4, 'rc_scim_…bbbb', NULL)`,
      [tenant, Buffer.from(randomUUID()), integration, Buffer.from(randomUUID())],
    );
    for (const [id, userName] of [
      [ann, 'ann@example.com'],
      [bob, 'bob@example.com'],
    ]) {
      await db.query(
        `INSERT INTO scim_users (id, tenant_id, integration_id, user_name, external_id, display_name, resource, resource_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 40)`,
        [id, tenant, integration, userName, `x-${userName}`, userName, { userName, active: true }],
      );
      await db.query(
        `INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3), ($1, $4, $3)`,
        [tenant, target, id, pushed],
      );
    }
    await db.query(
      `INSERT INTO scim_events (tenant_id, integration_id, method, path, resource_type, resource_id, resource_name, status, duration_ms, request_id, count)
       VALUES ($1, $2, 'POST', '/Users', 'User', $3, 'ann@example.com', 201, 3, 'req-1', 1),
              ($1, $2, 'GET', '/Users', NULL, NULL, NULL, 429, 0, 'req-2', 17)`,
      [tenant, integration, ann],
    );
  }
  return { tenants, groups };
}

/** Every row of every table, as JSON, in a fixed order. */
async function snapshot(db: Client): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await db.query<{ row: unknown }>(
      `SELECT to_jsonb(x) AS row FROM ${table} x ORDER BY to_jsonb(x)::text`,
    );
    out[table] = rows.rows.map((r) => r.row);
  }
  return out;
}

async function primaryKey(db: Client, table: string): Promise<string> {
  const rows = await db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
    [table],
  );
  return rows.rows[0].def;
}

describe(`migration ${TARGET}`, () => {
  it('brings a database filled under the previous schema over without losing or changing a row, and back', async () => {
    const fresh = await freshDatabase('rollcall_keys');
    const db = new Client({ connectionString: fresh.url });
    try {
      await migrateTo(fresh.url, BEFORE);
      await db.connect();
      const { tenants, groups } = await fill(db);
      const before = await snapshot(db);
      expect(before.scim_users).toHaveLength(4);
      expect(before.group_members).toHaveLength(8);
      expect(await primaryKey(db, 'scim_users')).toBe('PRIMARY KEY (id)');

      expect(await migrateTo(fresh.url, TARGET)).toEqual([TARGET]);
      expect(await snapshot(db)).toEqual(before);
      expect(await primaryKey(db, 'scim_users')).toBe('PRIMARY KEY (tenant_id, id)');
      expect(await catalogViolations((sql, params) => db.query(sql, params).then((r) => r.rows))).toEqual([]);
      // Now the database itself refuses a membership that crosses tenants.
      const [user] = (
        await db.query<{ id: string }>(`SELECT id FROM scim_users WHERE tenant_id = $1 LIMIT 1`, [tenants[0]])
      ).rows;
      await expect(
        db.query(`INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)`, [
          tenants[1],
          groups[1],
          user.id,
        ]),
      ).rejects.toThrow(/violates foreign key constraint/);

      // And back down, as `npm run migration:revert` does.
      await revertLastMigration(fresh.url);
      expect(await primaryKey(db, 'scim_users')).toBe('PRIMARY KEY (id)');
      expect(await snapshot(db)).toEqual(before);
    } finally {
      await db.end();
      await fresh.drop();
    }
  }, 60_000);

  it('stops, naming the table, when a row already points into another tenant, and changes nothing', async () => {
    const fresh = await freshDatabase('rollcall_keys_bad');
    const db = new Client({ connectionString: fresh.url });
    try {
      await migrateTo(fresh.url, BEFORE);
      await db.connect();
      const { tenants, groups } = await fill(db);
      // A hand-made change under the old keys: Acme's integration aimed at Globex's group.
      await db.query(`UPDATE scim_integrations SET group_id = $2 WHERE tenant_id = $1`, [
        tenants[0],
        groups[1],
      ]);
      const before = await snapshot(db);

      await expect(migrateTo(fresh.url, TARGET)).rejects.toThrow(
        "1 row(s) of scim_integrations point through group_id into another tenant's groups",
      );
      expect(await snapshot(db)).toEqual(before);
      expect(await primaryKey(db, 'groups')).toBe('PRIMARY KEY (id)');
      const done = await db.query<{ name: string }>(`SELECT name FROM migrations WHERE name = $1`, [TARGET]);
      expect(done.rows).toEqual([]);
    } finally {
      await db.end();
      await fresh.drop();
    }
  }, 60_000);
});
