import pg from 'pg';
import { ActivityService } from '@rollcall/integrations';
import request from 'supertest';
import {
  catalogViolations,
  createIntegration,
  createTenant,
  createTestApp,
  openPortalLink,
  routingViolations,
  TABLES_WITHOUT_TENANT,
  uniqueName,
  type TestApp,
} from '@rollcall/testing';
import { hashToken, PortalRetentionService } from '@rollcall/tokens';
import { legacyToken } from './fixtures/tokens';
import { patchBody, scimClient, userBody, type Json } from './fixtures/scim';

/**
 * Statements that read or write several tenants on purpose, each with the reason it stays correct when the
 * tables are distributed by tenant (docs/adr/0004-distributing-by-tenant.md). Matched on the statement text.
 */
const CROSS_TENANT: [RegExp, string][] = [
  [/WHERE t\.token_hash = \$1\s+AND \(t\.revoked_at/, 'a token issued before tokens named their tenant'],
  [
    /^SELECT i\.tenant_id, i\.id,\s+\(SELECT min\(e\.created_at\) FROM scim_events e WHERE e\.tenant_id = i\.tenant_id/,
    'the retention sweep lists the integrations with expired activity (each delete is pinned)',
  ],
  [
    /^WITH gone AS \(DELETE FROM portal_sessions WHERE \(tenant_id, id\) IN/,
    'the retention sweep of ended portal sessions',
  ],
  [
    /^WITH gone AS \(DELETE FROM portal_links WHERE \(tenant_id, id\) IN/,
    'the retention sweep of used or expired portal links',
  ],
];

describe('the database enforces tenancy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('keys every tenant-owned table by tenant, pairs tenant_id in every foreign key and unique index', async () => {
    const tables = await t.sql<{ table: string }>(
      `SELECT table_name AS table FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1`,
    );
    // Every table but the tenants themselves (and TypeORM's list of migrations) is tenant-owned.
    const all = await t.sql<{ table: string }>(
      `SELECT table_name AS table FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    expect(tables.map((r) => r.table)).toEqual(
      all.map((r) => r.table).filter((n) => !TABLES_WITHOUT_TENANT.includes(n)),
    );
    expect(await catalogViolations(t.sql)).toEqual([]);
  });

  it('the catalog check names each table that breaks a rule', async () => {
    const schema = `tenancy_probe_${process.pid}`;
    await t.sql(`CREATE SCHEMA ${schema}`);
    try {
      await t.sql(`CREATE TABLE ${schema}.tenants (id uuid PRIMARY KEY)`);
      await t.sql(
        `CREATE TABLE ${schema}.things (id uuid PRIMARY KEY, tenant_id uuid REFERENCES ${schema}.tenants (id))`,
      );
      await t.sql(
        `CREATE TABLE ${schema}.parts (tenant_id uuid NOT NULL, id uuid, thing_id uuid REFERENCES ${schema}.things (id),
           code text, PRIMARY KEY (tenant_id, id))`,
      );
      await t.sql(`CREATE UNIQUE INDEX parts_code ON ${schema}.parts (code)`);
      await t.sql(`CREATE TABLE ${schema}.notes (id uuid PRIMARY KEY)`);
      expect(await catalogViolations(t.sql, schema)).toEqual([
        'notes: no tenant_id column',
        'things: tenant_id may be null',
        'notes: primary key notes_pkey (id) does not start with tenant_id',
        'things: primary key things_pkey (id) does not start with tenant_id',
        'parts: foreign key parts_thing_id_fkey (thing_id) → things(id) does not pair tenant_id',
        'notes: unique index notes_pkey does not include tenant_id',
        'parts: unique index parts_code does not include tenant_id',
        'things: unique index things_pkey does not include tenant_id',
      ]);
    } finally {
      await t.sql(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('refuses a row that points into another tenant, whatever the code above it does', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const ia = await createIntegration(t, a);
    const ib = await createIntegration(t, b);
    const scimA = scimClient(t, ia.token);
    const user = (await scimA.post('/Users', userBody(uniqueName('ann'))).expect(201)).body as Json;
    // B's target group with A's user in it, and A's integration aimed at B's group: both refused by the keys.
    await expect(
      t.sql(`INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)`, [
        b.id,
        ib.groupId,
        user.id,
      ]),
    ).rejects.toThrow(/foreign key/);
    await expect(
      t.sql(`UPDATE scim_integrations SET group_id = $3 WHERE tenant_id = $1 AND id = $2`, [
        a.id,
        ia.id,
        ib.groupId,
      ]),
    ).rejects.toThrow(/foreign key/);
    const [row] = await t.sql<{ group_id: string }>(
      `SELECT group_id FROM scim_integrations WHERE tenant_id = $1 AND id = $2`,
      [a.id, ia.id],
    );
    expect(row.group_id).toBe(ia.groupId);
  });
});

describe('every SCIM and settings-API query is pinned to one tenant', () => {
  let t: TestApp;
  const seen = new Set<string>();
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    t = await createTestApp();
    // Every statement the application sends, on any connection, from here on.
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      if (text) seen.add(text);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await t.close();
  });

  it('walks every endpoint, then finds no statement that reaches beyond one tenant', async () => {
    const op = (r: request.Test) => r.auth(t.operatorToken, { type: 'bearer' });
    const http = () => request(t.http);

    // Operator: tenants and their admin tokens.
    const tenant = await createTenant(t);
    const admin = (r: request.Test) => r.auth(tenant.adminToken, { type: 'bearer' });
    await op(http().get('/api/v1/tenants')).expect(200);
    await op(http().get(`/api/v1/tenants/${tenant.id}`)).expect(200);
    await op(http().patch(`/api/v1/tenants/${tenant.id}`))
      .send({ name: uniqueName('Renamed') })
      .expect(200);
    const opToken = (
      await op(http().post(`/api/v1/tenants/${tenant.id}/admin-tokens`))
        .send({ name: 'help' })
        .expect(201)
    ).body;
    await op(http().get(`/api/v1/tenants/${tenant.id}/admin-tokens`)).expect(200);
    await op(http().delete(`/api/v1/tenants/${tenant.id}/admin-tokens/${opToken.id}`)).expect(204);

    // Admin: own tokens, groups, integrations, activity.
    const own = (await admin(http().post('/api/v1/admin-tokens')).send({ name: 'ci' }).expect(201)).body;
    await admin(http().get('/api/v1/admin-tokens')).expect(200);
    await admin(http().delete(`/api/v1/admin-tokens/${own.id}`)).expect(204);
    const group = (
      await admin(http().post('/api/v1/groups'))
        .send({ name: uniqueName('Staff') })
        .expect(201)
    ).body;
    const spare = (
      await admin(http().post('/api/v1/groups'))
        .send({ name: uniqueName('Spare') })
        .expect(201)
    ).body;
    await admin(http().get('/api/v1/groups?q=Sta')).expect(200);
    await admin(http().get(`/api/v1/groups/${group.id}`)).expect(200);
    await admin(http().patch(`/api/v1/groups/${spare.id}`))
      .send({ name: uniqueName('Spare') })
      .expect(200);
    const existing = await createIntegration(t, tenant, { groupId: group.id, provider: 'entra' });
    const integration = await createIntegration(t, tenant);
    await admin(http().get('/api/v1/scim-integrations')).expect(200);
    await admin(http().get(`/api/v1/scim-integrations/${integration.id}`)).expect(200);
    await admin(http().patch(`/api/v1/scim-integrations/${existing.id}`))
      .send({ groupId: spare.id, name: 'moved' })
      .expect(200);
    await admin(http().patch(`/api/v1/scim-integrations/${existing.id}`))
      .send({ enabled: false })
      .expect(200);
    await admin(http().patch(`/api/v1/scim-integrations/${existing.id}`))
      .send({ enabled: true })
      .expect(200);

    // SCIM: users and groups, every verb, the filters and the failures an identity provider meets.
    const scim = scimClient(t, integration.token);
    const ann = (
      await scim
        .post(
          '/Users',
          userBody(uniqueName('ann'), {
            externalId: 'x1',
            emails: [{ value: 'a@example.com', type: 'work' }],
          }),
        )
        .expect(201)
    ).body as Json;
    const bob = (await scim.post('/Users', userBody(uniqueName('bob'))).expect(201)).body as Json;
    await scim.post('/Users', userBody(ann.userName)).expect(409);
    await scim.get(`/Users/${ann.id}`).expect(200);
    await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${ann.userName}"`)}`).expect(200);
    await scim
      .get(
        `/Users?filter=${encodeURIComponent('externalId eq "x1" or emails.value co "example"')}&sortBy=userName`,
      )
      .expect(200);
    await scim.get('/Users?startIndex=2&count=1&attributes=userName').expect(200);
    await scim
      .post('/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'active eq true',
      })
      .expect(200);
    await scim.put(`/Users/${bob.id}`, userBody(bob.userName, { displayName: 'Bob' })).expect(200);
    // A precondition that names no single version reads the current one first.
    await scim
      .patch(`/Users/${bob.id}`, patchBody({ op: 'replace', path: 'title', value: 'T' }))
      .set('If-None-Match', 'W/"99"')
      .expect(200);
    await scim
      .patch(`/Users/${ann.id}`, patchBody({ op: 'replace', path: 'active', value: false }))
      .expect(200);
    await scim
      .patch(`/Users/${ann.id}`, patchBody({ op: 'replace', value: { displayName: 'Ann' } }))
      .expect(200);
    const team = (
      await scim
        .post('/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: uniqueName('Team'),
          members: [{ value: ann.id }],
        })
        .expect(201)
    ).body as Json;
    await scim.get(`/Groups/${team.id}`).expect(200);
    await scim
      .get(
        `/Groups?filter=${encodeURIComponent(`displayName eq "${team.displayName}"`)}&excludedAttributes=members`,
      )
      .expect(200);
    await scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${ann.id}"`)}`).expect(200);
    await scim
      .patch(`/Groups/${team.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: bob.id }] }))
      .set('If-Match', 'W/"1", W/"2"')
      .expect(204);
    await scim
      .patch(`/Groups/${team.id}`, patchBody({ op: 'remove', path: `members[value eq "${ann.id}"]` }))
      .expect(204);
    await scim
      .patch(`/Groups/${team.id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: ann.id }] }))
      .expect(204);
    await scim
      .put(`/Groups/${team.id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: team.displayName,
        members: [],
      })
      .expect(200);
    await scim.get('/ServiceProviderConfig').expect(200);
    await scim.delete(`/Groups/${team.id}`).expect(204);
    await scim.delete(`/Users/${bob.id}`).expect(204);
    await scim.get(`/Users/${bob.id}`).expect(404);

    // The admin reads what happened, pages through it, rotates, and tears down.
    await admin(http().get(`/api/v1/groups/${integration.groupId}/members`)).expect(200);
    await admin(http().get(`/api/v1/users?integrationId=${integration.id}&active=false`)).expect(200);
    await admin(http().get(`/api/v1/users?groupId=${integration.groupId}`)).expect(200);
    await admin(
      http().get(
        `/api/v1/scim-integrations/${integration.id}/events?status=failed&resourceType=User&limit=2`,
      ),
    ).expect(200);
    const page = (
      await admin(http().get(`/api/v1/scim-integrations/${integration.id}/events?limit=2`)).expect(200)
    ).body;
    await admin(
      http().get(
        `/api/v1/scim-integrations/${integration.id}/events?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`,
      ),
    ).expect(200);
    // The audit log of the settings changes above, as the admin and the operator read it.
    const audit = (await admin(http().get('/api/v1/audit-log?limit=2')).expect(200)).body;
    const next = `limit=2&cursor=${encodeURIComponent(audit.nextCursor)}`;
    await admin(http().get(`/api/v1/audit-log?${next}`)).expect(200);
    await admin(http().get(`/api/v1/audit-log?action=integration.renamed&targetId=${existing.id}`)).expect(
      200,
    );
    await op(http().get(`/api/v1/tenants/${tenant.id}/audit-log?${next}`)).expect(200);
    await admin(http().post(`/api/v1/scim-integrations/${integration.id}/token`))
      .send({ graceSeconds: 60 })
      .expect(201);
    await admin(http().post(`/api/v1/scim-integrations/${integration.id}/token`))
      .send({ graceSeconds: 0 })
      .expect(201);
    await admin(http().delete(`/api/v1/scim-integrations/${existing.id}`)).expect(204);
    await admin(http().delete(`/api/v1/groups/${group.id}`)).expect(204);

    // The admin portal: links from an admin and the operator, the exchange, the session on the settings API,
    // the session list, revocation and logout.
    const link = (await admin(http().post('/api/v1/portal-links')).send({}).expect(201)).body;
    const opLink = (await op(http().post('/api/v1/portal-links')).send({ tenantId: tenant.id }).expect(201))
      .body;
    const open = (url: string) => openPortalLink(t, url);
    const portal = await open(link.url);
    const other = await open(opLink.url);
    await http()
      .get(new URL(link.url).pathname + new URL(link.url).search)
      .expect(410);
    await http().get('/api/v1/groups').set('Cookie', portal.cookie).expect(200);
    await http()
      .post('/api/v1/groups')
      .set('Cookie', portal.cookie)
      .set('X-CSRF-Token', portal.csrf)
      .send({ name: uniqueName('Portal') })
      .expect(201);
    const sessions = (await admin(http().get('/api/v1/portal-sessions')).expect(200)).body as {
      id: string;
    }[];
    const otherId = (await http().get('/api/v1/portal/session').set('Cookie', other.cookie).expect(200)).body
      .sessionId as string;
    expect(sessions.map((x) => x.id)).toContain(otherId);
    await admin(http().delete(`/api/v1/portal-sessions/${otherId}`)).expect(204);
    await http()
      .post('/api/v1/portal/logout')
      .set('Cookie', portal.cookie)
      .set('X-CSRF-Token', portal.csrf)
      .expect(204);

    // A token issued before tokens named their tenant.
    const legacy = legacyToken('rc_adm_');
    await t.sql(
      `INSERT INTO api_tokens (tenant_id, kind, token_hash, hint) VALUES ($1, 'admin', $2, 'rc_adm_…old')`,
      [tenant.id, hashToken(legacy)],
    );
    await http().get('/api/v1/groups').auth(legacy, { type: 'bearer' }).expect(200);

    // The retention sweeps, which the server runs on timers. The activity log's lists the integrations with
    // expired events (across tenants), then deletes each one's, pinned to its tenant.
    await t.sql(
      `INSERT INTO scim_events (tenant_id, integration_id, created_at, method, path, status, duration_ms, request_id)
       VALUES ($1, $2, now() - interval '40 days', 'POST', '/Users', 201, 1, 'expired')`,
      [tenant.id, integration.id],
    );
    expect(await t.app.get(ActivityService).sweep()).toBeGreaterThanOrEqual(1);
    await t.app.get(PortalRetentionService).sweep();

    expect(seen.size).toBeGreaterThan(40);
    const tenantTables = new Set(
      (
        await t.sql<{ table: string }>(
          `SELECT DISTINCT table_name AS table FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'`,
        )
      ).map((r) => r.table),
    );
    const violations: string[] = [];
    const allowed = new Set<string>();
    for (const sql of seen) {
      const found = await routingViolations(sql, tenantTables);
      if (found.length === 0) continue;
      const exception = CROSS_TENANT.find(([pattern]) => pattern.test(sql));
      if (exception) allowed.add(exception[1]);
      else violations.push(`${found.join('; ')}\n    in: ${sql.replace(/\s+/g, ' ')}`);
    }
    expect(violations).toEqual([]);
    // Each exception was met, so none of them is stale.
    expect([...allowed].sort()).toEqual(CROSS_TENANT.map(([, why]) => why).sort());
  });
});
