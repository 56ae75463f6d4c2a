import request from 'supertest';
import {
  createIntegration,
  createTenant,
  createTestApp,
  type TestApp,
  type TestTenant,
  expectApiError,
} from '@rollcall/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

describe('groups', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const auth = () => ({ Authorization: `Bearer ${tenant.adminToken}` });
  const create = (name: string) => request(t.http).post('/api/v1/groups').set(auth()).send({ name });

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  it('creates a group', async () => {
    const res = await create('  Engineering ').expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: 'Engineering',
      ownerIntegration: null,
      memberCount: 0,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const [row] = await t.sql(`SELECT tenant_id, name, integration_id FROM groups WHERE id = $1`, [
      res.body.id,
    ]);
    expect(row).toEqual({ tenant_id: tenant.id, name: 'Engineering', integration_id: null });
  });

  it('refuses a duplicate name in another case with 409 in the error shape', async () => {
    await create('Engineering').expect(201);
    for (const name of ['engineering', 'ENGINEERING', ' Engineering ']) {
      const res = await create(name);
      expectApiError(res, 409, 'conflict');
      expect(res.body.message).toContain(name.trim());
    }
    const [{ count }] = await t.sql<{ count: string }>(`SELECT count(*) FROM groups WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    expect(Number(count)).toBe(1);
  });

  it('allows the same name in another tenant', async () => {
    await create('Sales').expect(201);
    const other = await createTenant(t);
    await request(t.http)
      .post('/api/v1/groups')
      .auth(other.adminToken, { type: 'bearer' })
      .send({ name: 'sales' })
      .expect(201);
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['a blank name', { name: '  ' }, 'name'],
    ['a non-string name', { name: ['x'] }, 'name'],
    ['an over-long name', { name: 'x'.repeat(257) }, 'name'],
    ['an unknown field', { name: 'x', color: 'red' }, 'color'],
  ])('refuses %s: 400 naming the field', async (_case, body, field) => {
    const res = await request(t.http).post('/api/v1/groups').set(auth()).send(body);
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('lists groups by name, paginated, and searches names with q (ignoring case, wildcards literal)', async () => {
    for (const name of ['delta', 'Alpha', 'charlie', 'Bravo', '100% Remote', 'under_score'])
      await create(name).expect(201);

    const all = await request(t.http).get('/api/v1/groups').set(auth()).expect(200);
    expect(all.body).toEqual(expect.objectContaining({ total: 6, page: 1, pageSize: 50 }));
    expect(all.body.items.map((g: { name: string }) => g.name)).toEqual([
      '100% Remote',
      'Alpha',
      'Bravo',
      'charlie',
      'delta',
      'under_score',
    ]);

    const page = await request(t.http).get('/api/v1/groups?page=2&pageSize=2').set(auth()).expect(200);
    expect(page.body).toEqual(expect.objectContaining({ total: 6, page: 2, pageSize: 2 }));
    expect(page.body.items.map((g: { name: string }) => g.name)).toEqual(['Bravo', 'charlie']);
    const beyond = await request(t.http).get('/api/v1/groups?page=9&pageSize=2').set(auth()).expect(200);
    expect(beyond.body).toEqual(expect.objectContaining({ total: 6, items: [] }));

    const q = async (term: string) => {
      const res = await request(t.http).get('/api/v1/groups').query({ q: term }).set(auth()).expect(200);
      expect(res.body.total).toBe(res.body.items.length);
      return res.body.items.map((g: { name: string }) => g.name);
    };
    expect(await q('A')).toEqual(['Alpha', 'Bravo', 'charlie', 'delta']);
    expect(await q('CHAR')).toEqual(['charlie']);
    expect(await q('%')).toEqual(['100% Remote']);
    expect(await q('_')).toEqual(['under_score']);
    expect(await q('nothing')).toEqual([]);
  });

  it.each([
    ['page=0', 'page'],
    ['pageSize=0', 'pageSize'],
    ['pageSize=201', 'pageSize'],
    ['page=x', 'page'],
    ['sort=name', 'sort'],
  ])('refuses a list with %s: 400 naming the parameter', async (query, field) => {
    const res = await request(t.http).get(`/api/v1/groups?${query}`).set(auth());
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('reads a group', async () => {
    const created = await create('Finance').expect(201);
    const res = await request(t.http).get(`/api/v1/groups/${created.body.id}`).set(auth()).expect(200);
    expect(res.body).toEqual(created.body);
  });

  it('renames a group; a taken name is a 409; a change of case of its own name is fine', async () => {
    const a = await create('Finance').expect(201);
    await create('Legal').expect(201);
    const renamed = await request(t.http)
      .patch(`/api/v1/groups/${a.body.id}`)
      .set(auth())
      .send({ name: 'Accounting' })
      .expect(200);
    expect(renamed.body).toEqual(expect.objectContaining({ id: a.body.id, name: 'Accounting' }));
    const [row] = await t.sql(`SELECT name FROM groups WHERE id = $1`, [a.body.id]);
    expect(row).toEqual({ name: 'Accounting' });

    expectApiError(
      await request(t.http).patch(`/api/v1/groups/${a.body.id}`).set(auth()).send({ name: 'LEGAL' }),
      409,
      'conflict',
    );
    await request(t.http)
      .patch(`/api/v1/groups/${a.body.id}`)
      .set(auth())
      .send({ name: 'ACCOUNTING' })
      .expect(200);

    const bad = await request(t.http).patch(`/api/v1/groups/${a.body.id}`).set(auth()).send({});
    expectApiError(bad, 400, 'validation_failed');
    expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
  });

  it('renaming a group to its own name changes nothing: same version and updatedAt, no audit event', async () => {
    const g = await create('Finance').expect(201);
    const stored = () =>
      t.sql<{ version: number; updated_at: Date }>(`SELECT version, updated_at FROM groups WHERE id = $1`, [
        g.body.id,
      ]);
    const auditEvents = () =>
      t.sql(`SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2`, [
        tenant.id,
        g.body.id,
      ]);
    const before = await stored();
    const eventsBefore = await auditEvents();

    const res = await request(t.http)
      .patch(`/api/v1/groups/${g.body.id}`)
      .set(auth())
      .send({ name: ' Finance ' })
      .expect(200);
    expect(res.body).toEqual(g.body);
    expect(await stored()).toEqual(before);
    expect(await auditEvents()).toEqual(eventsBefore);
  });

  it('deletes a group: 204, then 404', async () => {
    const g = await create('Temp').expect(201);
    const del = await request(t.http).delete(`/api/v1/groups/${g.body.id}`).set(auth()).expect(204);
    expect(del.text).toBe('');
    expectApiError(await request(t.http).get(`/api/v1/groups/${g.body.id}`).set(auth()), 404, 'not_found');
    expectApiError(await request(t.http).delete(`/api/v1/groups/${g.body.id}`).set(auth()), 404, 'not_found');
    expect(await t.sql(`SELECT id FROM groups WHERE id = $1`, [g.body.id])).toEqual([]);
  });

  it('answers 404 for an unknown group and 400 naming `id` for a non-UUID, on every route', async () => {
    for (const [method, path] of [
      ['get', ''],
      ['patch', ''],
      ['delete', ''],
      ['get', '/members'],
    ] as const) {
      const unknown = await request(t.http)
        [method](`/api/v1/groups/${NO_SUCH_ID}${path}`)
        .set(auth())
        .send({ name: 'x' });
      expectApiError(unknown, 404, 'not_found');
      const bad = await request(t.http)[method](`/api/v1/groups/42${path}`).set(auth()).send({ name: 'x' });
      expectApiError(bad, 400, 'validation_failed');
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    }
  });

  it('refuses to delete a group that an integration targets (409), until the integration is gone', async () => {
    const g = await create('Okta users').expect(201);
    const integration = await createIntegration(t, tenant, { groupId: g.body.id });
    const res = await request(t.http).delete(`/api/v1/groups/${g.body.id}`).set(auth());
    expectApiError(res, 409, 'conflict');
    expect(res.body.message).toMatch(/integration/i);
    await request(t.http).get(`/api/v1/groups/${g.body.id}`).set(auth()).expect(200);

    await request(t.http).delete(`/api/v1/scim-integrations/${integration.id}`).set(auth()).expect(204);
    await request(t.http).delete(`/api/v1/groups/${g.body.id}`).set(auth()).expect(204);
  });

  it('refuses to rename or delete a group pushed by an identity provider (409)', async () => {
    const integration = await createIntegration(t, tenant);
    const [pushed] = await t.sql<{ id: string }>(
      `INSERT INTO groups (tenant_id, integration_id, name) VALUES ($1, $2, 'Pushed') RETURNING id`,
      [tenant.id, integration.id],
    );
    const got = await request(t.http).get(`/api/v1/groups/${pushed.id}`).set(auth()).expect(200);
    expect(got.body.ownerIntegration).toEqual({ id: integration.id, name: expect.any(String) });
    expectApiError(
      await request(t.http).patch(`/api/v1/groups/${pushed.id}`).set(auth()).send({ name: 'Mine' }),
      409,
      'conflict',
    );
    expectApiError(await request(t.http).delete(`/api/v1/groups/${pushed.id}`).set(auth()), 409, 'conflict');
    // An admin group may carry the same name as a pushed one.
    await create('Pushed').expect(201);
  });

  it('lists only the groups one integration pushed, with integrationId (and q)', async () => {
    const a = await createIntegration(t, tenant);
    const b = await createIntegration(t, tenant);
    await t.sql(
      `INSERT INTO groups (tenant_id, integration_id, name) VALUES ($1, $2, 'Sales'), ($1, $2, 'Support'), ($1, $3, 'Sales B')`,
      [tenant.id, a.id, b.id],
    );
    const list = (query: string) => request(t.http).get(`/api/v1/groups?${query}`).set(auth()).expect(200);
    const names = (res: request.Response) => res.body.items.map((g: { name: string }) => g.name);
    expect(names(await list(`integrationId=${a.id}`))).toEqual(['Sales', 'Support']);
    expect(names(await list(`integrationId=${a.id}&q=supp`))).toEqual(['Support']);
    expect(names(await list(`integrationId=${b.id}`))).toEqual(['Sales B']);
    expectApiError(
      await request(t.http).get('/api/v1/groups?integrationId=nope').set(auth()),
      400,
      'validation_failed',
    );
  });

  describe('members', () => {
    let groupId: string;
    let userNames: string[];

    beforeEach(async () => {
      const integration = await createIntegration(t, tenant);
      groupId = integration.groupId;
      // Seven users, created a millisecond apart; every third one is deactivated.
      const users = await t.sql<{ id: string; user_name: string }>(
        `INSERT INTO scim_users (tenant_id, integration_id, user_name, display_name, external_id, active, resource, created_at)
         SELECT $1, $2, 'user' || n || '@example.com', 'User ' || n, 'ext-' || n, n % 3 <> 0, '{}'::jsonb,
                now() + n * interval '1 millisecond'
           FROM generate_series(1, 7) AS n
         RETURNING id, user_name`,
        [tenant.id, integration.id],
      );
      userNames = users.map((u) => u.user_name).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      await t.sql(
        `INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[])`,
        [tenant.id, groupId, users.map((u) => u.id)],
      );
    });

    it('lists an empty group', async () => {
      const g = await create('Empty').expect(201);
      const res = await request(t.http).get(`/api/v1/groups/${g.body.id}/members`).set(auth()).expect(200);
      expect(res.body).toEqual({ items: [], total: 0, page: 1, pageSize: 50 });
    });

    it('lists members oldest first, with their fields, and counts them on the group', async () => {
      const res = await request(t.http).get(`/api/v1/groups/${groupId}/members`).set(auth()).expect(200);
      expect(res.body).toEqual(expect.objectContaining({ total: 7, page: 1, pageSize: 50 }));
      expect(res.body.items.map((u: { userName: string }) => u.userName)).toEqual(userNames);
      expect(res.body.items[0]).toEqual({
        id: expect.stringMatching(UUID),
        integrationId: expect.stringMatching(UUID),
        userName: 'user1@example.com',
        displayName: 'User 1',
        externalId: 'ext-1',
        active: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const group = await request(t.http).get(`/api/v1/groups/${groupId}`).set(auth()).expect(200);
      expect(group.body.memberCount).toBe(7);
    });

    it('pages members', async () => {
      const pages: string[][] = [];
      for (const page of [1, 2, 3]) {
        const res = await request(t.http)
          .get(`/api/v1/groups/${groupId}/members?page=${page}&pageSize=3`)
          .set(auth())
          .expect(200);
        expect(res.body).toEqual(expect.objectContaining({ total: 7, page, pageSize: 3 }));
        pages.push(res.body.items.map((u: { userName: string }) => u.userName));
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(userNames);
    });

    it('filters members by active', async () => {
      const active = await request(t.http)
        .get(`/api/v1/groups/${groupId}/members?active=true`)
        .set(auth())
        .expect(200);
      expect(active.body.total).toBe(5);
      expect(active.body.items.every((u: { active: boolean }) => u.active)).toBe(true);
      const inactive = await request(t.http)
        .get(`/api/v1/groups/${groupId}/members?active=false&pageSize=1`)
        .set(auth())
        .expect(200);
      expect(inactive.body).toEqual(expect.objectContaining({ total: 2, pageSize: 1 }));
      expect(inactive.body.items.map((u: { userName: string }) => u.userName)).toEqual(['user3@example.com']);

      const bad = await request(t.http).get(`/api/v1/groups/${groupId}/members?active=maybe`).set(auth());
      expectApiError(bad, 400, 'validation_failed');
      expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'active' })]));
    });

    it('does not list users who are not members', async () => {
      const other = await create('Other').expect(201);
      const res = await request(t.http)
        .get(`/api/v1/groups/${other.body.id}/members`)
        .set(auth())
        .expect(200);
      expect(res.body.total).toBe(0);
    });

    it('searches the provisioned users by userName and displayName, ignoring case, over every page', async () => {
      const find = (q: string, extra = '') =>
        request(t.http)
          .get(`/api/v1/users?q=${encodeURIComponent(q)}${extra}`)
          .set(auth())
          .expect(200);
      const byName = await find('USER7@');
      expect(byName.body.items.map((u: { userName: string }) => u.userName)).toEqual(['user7@example.com']);
      expect(byName.body.total).toBe(1);
      const byDisplay = await find('user 1', '&pageSize=1');
      expect(byDisplay.body.total).toBe(1);
      expect(byDisplay.body.items[0].displayName).toBe('User 1');
      // Wildcards are literal; active combines with q.
      expect((await find('%')).body.total).toBe(0);
      expect(
        (await find('user', '&active=false')).body.items.map((u: { userName: string }) => u.userName),
      ).toEqual(['user3@example.com', 'user6@example.com']);
      const stranger = await createTenant(t);
      const theirs = await request(t.http)
        .get('/api/v1/users?q=user')
        .auth(stranger.adminToken, { type: 'bearer' });
      expect(theirs.body.total).toBe(0);
    });

    it("answers 404 for another tenant's group members", async () => {
      const stranger = await createTenant(t);
      const res = await request(t.http)
        .get(`/api/v1/groups/${groupId}/members`)
        .auth(stranger.adminToken, { type: 'bearer' });
      expectApiError(res, 404, 'not_found');
    });
  });
});
