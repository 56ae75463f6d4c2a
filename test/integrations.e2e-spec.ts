import request from 'supertest';
import { createHash } from 'node:crypto';
import {
  createIntegration,
  createTenant,
  createTestApp,
  TEST_PUBLIC_URL,
  uniqueName,
  type TestApp,
  type TestTenant,
  expectApiError,
} from '@rollcall/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SCIM_TOKEN = /^rc_scim_[0-9A-Za-z]{71}$/;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const PROVIDERS = ['okta', 'entra', 'onelogin', 'jumpcloud', 'google', 'generic'];

function expectField(res: request.Response, field: string): void {
  expectApiError(res, 400, 'validation_failed');
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SCIM integrations (settings API)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const auth = () => ({ Authorization: `Bearer ${tenant.adminToken}` });
  const wizard = (body: Record<string, unknown>) =>
    request(t.http).post('/api/v1/scim-integrations').set(auth()).send(body);
  /** Any SCIM route that authenticates: GET /scim/v2/Users. */
  const scim = (token: string) => request(t.http).get('/scim/v2/Users').auth(token, { type: 'bearer' });
  const countIntegrations = async () =>
    Number(
      (
        await t.sql<{ count: string }>(`SELECT count(*) FROM scim_integrations WHERE tenant_id = $1`, [
          tenant.id,
        ])
      )[0].count,
    );

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  describe('the wizard (POST /api/v1/scim-integrations)', () => {
    it('creates an integration with a new target group, and shows its token once', async () => {
      const res = await wizard({
        name: ' Okta production ',
        provider: 'okta',
        newGroupName: ' Okta users ',
      }).expect(201);
      expect(res.body).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(UUID),
          name: 'Okta production',
          provider: 'okta',
          enabled: true,
          group: { id: expect.stringMatching(UUID), name: 'Okta users' },
          scimBaseUrl: `${TEST_PUBLIC_URL}/scim/v2`,
          token: expect.stringMatching(SCIM_TOKEN),
          tokenHint: expect.any(String),
          tokenCreatedAt: expect.any(String),
          tokenLastUsedAt: null,
          userCount: 0,
          groupCount: 0,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        }),
      );
      const token: string = res.body.token;
      expect(res.body.tokenHint).toBe(`rc_scim_…${token.slice(-4)}`);

      const [integration] = await t.sql(
        `SELECT tenant_id, name, provider, enabled, group_id FROM scim_integrations WHERE id = $1`,
        [res.body.id],
      );
      expect(integration).toEqual({
        tenant_id: tenant.id,
        name: 'Okta production',
        provider: 'okta',
        enabled: true,
        group_id: res.body.group.id,
      });
      const [group] = await t.sql(`SELECT tenant_id, name, integration_id FROM groups WHERE id = $1`, [
        res.body.group.id,
      ]);
      // The new target group is an ordinary settings group, not one owned by the integration.
      expect(group).toEqual({ tenant_id: tenant.id, name: 'Okta users', integration_id: null });
      const tokens = await t.sql<{ kind: string; token_hash: Buffer; hint: string; revoked_at: Date | null }>(
        `SELECT kind, token_hash, hint, revoked_at FROM api_tokens WHERE integration_id = $1`,
        [res.body.id],
      );
      expect(tokens).toHaveLength(1);
      expect(tokens[0].kind).toBe('scim');
      expect(tokens[0].token_hash).toHaveLength(32);
      expect(tokens[0].token_hash.equals(sha256(token))).toBe(true);
      expect(tokens[0].hint).toBe(res.body.tokenHint);
      expect(tokens[0].revoked_at).toBeNull();

      await scim(token).expect(200);
    });

    it('creates an integration targeting an existing group', async () => {
      const g = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'Everyone' })
        .expect(201);
      const res = await wizard({ name: 'OneLogin', provider: 'onelogin', groupId: g.body.id }).expect(201);
      expect(res.body.group).toEqual({ id: g.body.id, name: 'Everyone' });
      const groups = await t.sql(`SELECT id FROM groups WHERE tenant_id = $1`, [tenant.id]);
      expect(groups).toEqual([{ id: g.body.id }]);
      // Two integrations may share a target group.
      const second = await wizard({ name: 'Google', provider: 'google', groupId: g.body.id }).expect(201);
      expect(second.body.group.id).toBe(g.body.id);
      expect(second.body.token).not.toBe(res.body.token);
    });

    it.each(PROVIDERS)('builds the SCIM base URL for %s from PUBLIC_URL', async (provider) => {
      const res = await wizard({ name: provider, provider, newGroupName: uniqueName(provider) }).expect(201);
      expect(res.body.provider).toBe(provider);
      expect(res.body.scimBaseUrl).toBe(
        provider === 'entra' ? `${TEST_PUBLIC_URL}/scim/v2?aadOptscim062020` : `${TEST_PUBLIC_URL}/scim/v2`,
      );
    });

    const SETUP: Record<
      string,
      { providerName: string; baseUrlField: string | RegExp; tokenField: string | RegExp }
    > = {
      okta: { providerName: 'Okta', baseUrlField: 'Base URL', tokenField: 'OAuth Bearer Token' },
      entra: { providerName: 'Microsoft Entra ID', baseUrlField: 'Tenant URL', tokenField: 'Secret Token' },
      onelogin: { providerName: 'OneLogin', baseUrlField: 'SCIM Base URL', tokenField: 'SCIM Bearer Token' },
      jumpcloud: { providerName: 'JumpCloud', baseUrlField: 'Base URL', tokenField: /bearer token/ },
      google: { providerName: 'Google Workspace', baseUrlField: /base URL/, tokenField: /token/ },
      generic: {
        providerName: 'Other SCIM 2.0 client',
        baseUrlField: 'SCIM base URL (endpoint)',
        tokenField: 'Authorization header: Bearer <token>',
      },
    };

    it.each(PROVIDERS)(
      'answers with the set-up steps for %s (base URL, where the token goes), at creation and in the details, never the token',
      async (provider) => {
        const created = await wizard({ name: provider, provider, newGroupName: uniqueName(provider) }).expect(
          201,
        );
        const want = SETUP[provider];
        const setup = {
          provider,
          providerName: want.providerName,
          baseUrl: created.body.scimBaseUrl,
          baseUrlField:
            typeof want.baseUrlField === 'string'
              ? want.baseUrlField
              : expect.stringMatching(want.baseUrlField),
          tokenField:
            typeof want.tokenField === 'string' ? want.tokenField : expect.stringMatching(want.tokenField),
          steps: expect.arrayContaining([{ title: expect.any(String), detail: expect.any(String) }]),
          notes: expect.any(Array),
        };
        expect(created.body.setup).toEqual(setup);
        // Some step says where the base URL goes, with the URL itself.
        const steps = created.body.setup.steps as { title: string; detail: string }[];
        expect(steps.length).toBeGreaterThanOrEqual(2);
        expect(steps.some((step) => step.detail.includes(created.body.scimBaseUrl))).toBe(true);
        // The token is in the answer beside the steps, never in them.
        expect(JSON.stringify(created.body.setup)).not.toContain(created.body.token);

        const details = await request(t.http)
          .get(`/api/v1/scim-integrations/${created.body.id}`)
          .set(auth())
          .expect(200);
        expect(details.body.setup).toEqual(created.body.setup);
        expect(details.body.token).toBeUndefined();
        expect(JSON.stringify(details.body)).not.toContain(created.body.token);
        expect(JSON.stringify(details.body)).not.toContain(created.body.token.slice(8, 40));
      },
    );

    it('refuses both groupId and newGroupName: 400 naming the field, nothing created', async () => {
      const g = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'Existing' })
        .expect(201);
      const res = await wizard({ name: 'x', provider: 'okta', groupId: g.body.id, newGroupName: 'Another' });
      expectField(res, 'groupId');
      expect(res.body.message).toMatch(/groupId/);
      expect(res.body.message).toMatch(/newGroupName/);
      expect(await countIntegrations()).toBe(0);
      expect(await t.sql(`SELECT name FROM groups WHERE tenant_id = $1`, [tenant.id])).toEqual([
        { name: 'Existing' },
      ]);
    });

    it('refuses neither groupId nor newGroupName: 400 naming the field', async () => {
      const res = await wizard({ name: 'x', provider: 'okta' });
      expectField(res, 'groupId');
      expect(res.body.message).toMatch(/newGroupName/);
      expect(await countIntegrations()).toBe(0);
    });

    it.each([
      ['an unknown provider', { name: 'x', provider: 'ping', newGroupName: 'g' }, 'provider'],
      ['a missing provider', { name: 'x', newGroupName: 'g' }, 'provider'],
      ['a provider in another case', { name: 'x', provider: 'Okta', newGroupName: 'g' }, 'provider'],
      ['a missing name', { provider: 'okta', newGroupName: 'g' }, 'name'],
      ['a blank name', { name: ' ', provider: 'okta', newGroupName: 'g' }, 'name'],
      ['an over-long name', { name: 'x'.repeat(201), provider: 'okta', newGroupName: 'g' }, 'name'],
      ['a non-UUID groupId', { name: 'x', provider: 'okta', groupId: 'g1' }, 'groupId'],
      ['a blank newGroupName', { name: 'x', provider: 'okta', newGroupName: '' }, 'newGroupName'],
      ['an unknown field', { name: 'x', provider: 'okta', newGroupName: 'g', token: 'mine' }, 'token'],
      ['a null groupId', { name: 'x', provider: 'okta', groupId: null }, 'groupId'],
      ['a null newGroupName', { name: 'x', provider: 'okta', newGroupName: null }, 'newGroupName'],
    ])('refuses %s: 400 naming the field', async (_case, body, field) => {
      expectField(await wizard(body), field);
      expect(await countIntegrations()).toBe(0);
    });

    it('says which providers exist', async () => {
      const res = await wizard({ name: 'x', provider: 'ping', newGroupName: 'g' });
      for (const p of PROVIDERS) expect(res.body.message).toContain(p);
    });

    it('answers 404 for an unknown groupId', async () => {
      expectApiError(await wizard({ name: 'x', provider: 'okta', groupId: NO_SUCH_ID }), 404, 'not_found');
      expect(await countIntegrations()).toBe(0);
    });

    it('answers 409 for a newGroupName that is taken, and creates nothing', async () => {
      await request(t.http).post('/api/v1/groups').set(auth()).send({ name: 'Okta users' }).expect(201);
      expectApiError(
        await wizard({ name: 'x', provider: 'okta', newGroupName: 'OKTA USERS' }),
        409,
        'conflict',
      );
      expect(await countIntegrations()).toBe(0);
      const [{ count }] = await t.sql<{ count: string }>(
        `SELECT count(*) FROM api_tokens WHERE tenant_id = $1 AND kind = 'scim'`,
        [tenant.id],
      );
      expect(Number(count)).toBe(0);
    });

    it('refuses a group pushed by an identity provider as a target: 400 naming groupId', async () => {
      const first = await createIntegration(t, tenant);
      const [pushed] = await t.sql<{ id: string }>(
        `INSERT INTO groups (tenant_id, integration_id, name) VALUES ($1, $2, 'Pushed') RETURNING id`,
        [tenant.id, first.id],
      );
      expectField(await wizard({ name: 'x', provider: 'okta', groupId: pushed.id }), 'groupId');
    });
  });

  describe('list and details', () => {
    it('lists the integrations oldest first, with hints and never a token', async () => {
      const a = await createIntegration(t, tenant, { name: 'First' });
      await sleep(5);
      const b = await createIntegration(t, tenant, { name: 'Second', provider: 'entra' });
      const res = await request(t.http).get('/api/v1/scim-integrations').set(auth()).expect(200);
      expect(res.body.map((i: { id: string }) => i.id)).toEqual([a.id, b.id]);
      expect(res.body[1]).toEqual(
        expect.objectContaining({
          id: b.id,
          name: 'Second',
          provider: 'entra',
          enabled: true,
          group: { id: b.groupId, name: expect.any(String) },
          scimBaseUrl: `${TEST_PUBLIC_URL}/scim/v2?aadOptscim062020`,
          tokenHint: `rc_scim_…${b.token.slice(-4)}`,
        }),
      );
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(a.token);
      expect(text).not.toContain(b.token);
      for (const item of res.body) expect(item).not.toHaveProperty('token');
    });

    it('lists nothing for a tenant without integrations', async () => {
      await request(t.http).get('/api/v1/scim-integrations').set(auth()).expect(200, []);
    });

    it('shows the details: everything but the token, with its hint, creation and last use, and counts', async () => {
      const created = await wizard({ name: 'Okta', provider: 'okta', newGroupName: 'Okta users' }).expect(
        201,
      );
      const res = await request(t.http)
        .get(`/api/v1/scim-integrations/${created.body.id}`)
        .set(auth())
        .expect(200);
      const { token, ...rest } = created.body;
      expect(res.body).toEqual(rest);
      expect(res.body).not.toHaveProperty('token');
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(res.body).toEqual(
        expect.objectContaining({ tokenHint: `rc_scim_…${token.slice(-4)}`, tokenLastUsedAt: null }),
      );
      const [row] = await t.sql<{ created_at: Date }>(
        `SELECT created_at FROM api_tokens WHERE integration_id = $1`,
        [created.body.id],
      );
      expect(res.body.tokenCreatedAt).toBe(row.created_at.toISOString());
    });

    it('counts the users and groups the integration provisioned', async () => {
      const i = await createIntegration(t, tenant);
      await t.sql(
        `INSERT INTO scim_users (tenant_id, integration_id, user_name, resource)
         SELECT $1, $2, 'u' || n || '@x.com', '{}'::jsonb FROM generate_series(1, 3) n`,
        [tenant.id, i.id],
      );
      await t.sql(
        `INSERT INTO groups (tenant_id, integration_id, name) VALUES ($1, $2, 'P1'), ($1, $2, 'P2')`,
        [tenant.id, i.id],
      );
      const res = await request(t.http).get(`/api/v1/scim-integrations/${i.id}`).set(auth()).expect(200);
      expect(res.body).toEqual(expect.objectContaining({ userCount: 3, groupCount: 2 }));
      const list = await request(t.http).get('/api/v1/scim-integrations').set(auth()).expect(200);
      expect(list.body[0]).toEqual(expect.objectContaining({ userCount: 3, groupCount: 2 }));
    });

    it('records when the token was last used by a SCIM request', async () => {
      const i = await createIntegration(t, tenant);
      const before = Date.now();
      await scim(i.token).expect(200);
      let lastUsed: string | null = null;
      for (let n = 0; n < 50 && !lastUsed; n++) {
        const res = await request(t.http).get(`/api/v1/scim-integrations/${i.id}`).set(auth()).expect(200);
        lastUsed = res.body.tokenLastUsedAt;
        if (!lastUsed) await sleep(20);
      }
      expect(lastUsed).not.toBeNull();
      expect(Date.parse(lastUsed!)).toBeGreaterThanOrEqual(before - 5000);
      expect(Date.parse(lastUsed!)).toBeLessThanOrEqual(Date.now() + 5000);
    });

    it('answers 404 for an unknown id and 400 naming `id` for a non-UUID', async () => {
      expectApiError(
        await request(t.http).get(`/api/v1/scim-integrations/${NO_SUCH_ID}`).set(auth()),
        404,
        'not_found',
      );
      for (const [method, path] of [
        ['get', ''],
        ['patch', ''],
        ['delete', ''],
        ['post', '/token'],
      ] as const) {
        const res = await request(t.http)[method](`/api/v1/scim-integrations/x1${path}`).set(auth()).send({});
        expectField(res, 'id');
        expect(res.body.errors).toHaveLength(1);
      }
    });
  });

  describe('updates (PATCH)', () => {
    const patch = (id: string, body: Record<string, unknown>) =>
      request(t.http).patch(`/api/v1/scim-integrations/${id}`).set(auth()).send(body);

    it('renames an integration', async () => {
      const i = await createIntegration(t, tenant);
      const res = await patch(i.id, { name: ' Okta (EU) ' }).expect(200);
      expect(res.body).toEqual(expect.objectContaining({ id: i.id, name: 'Okta (EU)', enabled: true }));
      expect(res.body).not.toHaveProperty('token');
      const [row] = await t.sql(`SELECT name FROM scim_integrations WHERE id = $1`, [i.id]);
      expect(row).toEqual({ name: 'Okta (EU)' });
    });

    it('disables an integration (its token gets 401) and enables it again', async () => {
      const i = await createIntegration(t, tenant);
      await scim(i.token).expect(200);
      const off = await patch(i.id, { enabled: false }).expect(200);
      expect(off.body.enabled).toBe(false);
      const refused = await scim(i.token).expect(401);
      expect(refused.body).toEqual(
        expect.objectContaining({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' }),
      );
      const on = await patch(i.id, { enabled: true }).expect(200);
      expect(on.body.enabled).toBe(true);
      await scim(i.token).expect(200);
    });

    it("moves the integration's users to a new target group", async () => {
      const i = await createIntegration(t, tenant);
      const users = await t.sql<{ id: string }>(
        `INSERT INTO scim_users (tenant_id, integration_id, user_name, resource)
         SELECT $1, $2, 'm' || n || '@x.com', '{}'::jsonb FROM generate_series(1, 3) n RETURNING id`,
        [tenant.id, i.id],
      );
      await t.sql(
        `INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[])`,
        [tenant.id, i.groupId, users.map((u) => u.id)],
      );
      const g = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'New target' })
        .expect(201);
      const res = await patch(i.id, { groupId: g.body.id }).expect(200);
      expect(res.body.group).toEqual({ id: g.body.id, name: 'New target' });

      const members = async (groupId: string) =>
        (await request(t.http).get(`/api/v1/groups/${groupId}/members`).set(auth()).expect(200)).body.total;
      expect(await members(g.body.id)).toBe(3);
      expect(await members(i.groupId)).toBe(0);
      const [row] = await t.sql(`SELECT group_id FROM scim_integrations WHERE id = $1`, [i.id]);
      expect(row).toEqual({ group_id: g.body.id });
      // The old target group is free to delete now.
      await request(t.http).delete(`/api/v1/groups/${i.groupId}`).set(auth()).expect(204);
    });

    it('takes upper-case UUIDs, in the URL and in groupId, as the same ids in lower case', async () => {
      const i = await createIntegration(t, tenant);
      const g = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'Upper target' })
        .expect(201);
      const moves = async () =>
        (
          await t.sql(
            `SELECT target_id FROM audit_events WHERE tenant_id = $1 AND action = 'integration.target_group_changed'`,
            [tenant.id],
          )
        ).map((r) => r.target_id);

      const moved = await patch(i.id.toUpperCase(), { groupId: g.body.id.toUpperCase() }).expect(200);
      expect(moved.body).toEqual(
        expect.objectContaining({ id: i.id, group: { id: g.body.id, name: 'Upper target' } }),
      );
      const [row] = await t.sql(`SELECT group_id FROM scim_integrations WHERE id = $1`, [i.id]);
      expect(row).toEqual({ group_id: g.body.id });
      expect(await moves()).toEqual([i.id]);

      // The same group again, in upper case, is no change: no second move, no second audit event.
      await patch(i.id.toUpperCase(), { groupId: g.body.id.toUpperCase() }).expect(200);
      await patch(i.id, { groupId: g.body.id }).expect(200);
      expect(await moves()).toEqual([i.id]);
      const got = await request(t.http)
        .get(`/api/v1/scim-integrations/${i.id.toUpperCase()}`)
        .set(auth())
        .expect(200);
      expect(got.body).toEqual(
        await request(t.http)
          .get(`/api/v1/scim-integrations/${i.id}`)
          .set(auth())
          .expect(200)
          .then((r) => r.body),
      );
    });

    it('answers 404 for an unknown target group and changes nothing', async () => {
      const i = await createIntegration(t, tenant);
      expectApiError(await patch(i.id, { groupId: NO_SUCH_ID, name: 'changed' }), 404, 'not_found');
      const [row] = await t.sql<{ group_id: string; name: string }>(
        `SELECT group_id, name FROM scim_integrations WHERE id = $1`,
        [i.id],
      );
      expect(row.group_id).toBe(i.groupId);
      expect(row.name).not.toBe('changed');
    });

    it('answers 404 for an unknown integration', async () => {
      expectApiError(await patch(NO_SUCH_ID, { name: 'x' }), 404, 'not_found');
    });

    it.each([
      ['enabled as a string', { enabled: 'false' }, 'enabled'],
      ['a blank name', { name: '' }, 'name'],
      ['a non-UUID groupId', { groupId: 'abc' }, 'groupId'],
      ['a provider change', { provider: 'entra' }, 'provider'],
      ['newGroupName', { newGroupName: 'x' }, 'newGroupName'],
      ['a null name', { name: null }, 'name'],
      ['a null groupId', { groupId: null }, 'groupId'],
      ['a null enabled', { enabled: null }, 'enabled'],
    ])('refuses %s: 400 naming the field', async (_case, body, field) => {
      const i = await createIntegration(t, tenant);
      expectField(await patch(i.id, body), field);
    });
  });

  describe('deletion', () => {
    it('deletes an integration: 204, its token stops, GET is 404, its target group stays, what it provisioned goes', async () => {
      const i = await createIntegration(t, tenant);
      await scim(i.token).expect(200);
      const [user] = await t.sql<{ id: string }>(
        `INSERT INTO scim_users (tenant_id, integration_id, user_name, resource) VALUES ($1, $2, 'gone@x.com', '{}') RETURNING id`,
        [tenant.id, i.id],
      );
      await t.sql(`INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)`, [
        tenant.id,
        i.groupId,
        user.id,
      ]);
      await t.sql(`INSERT INTO groups (tenant_id, integration_id, name) VALUES ($1, $2, 'Pushed')`, [
        tenant.id,
        i.id,
      ]);

      const del = await request(t.http).delete(`/api/v1/scim-integrations/${i.id}`).set(auth()).expect(204);
      expect(del.text).toBe('');

      const refused = await scim(i.token).expect(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
      expectApiError(
        await request(t.http).get(`/api/v1/scim-integrations/${i.id}`).set(auth()),
        404,
        'not_found',
      );
      expectApiError(
        await request(t.http).delete(`/api/v1/scim-integrations/${i.id}`).set(auth()),
        404,
        'not_found',
      );

      const group = await request(t.http).get(`/api/v1/groups/${i.groupId}`).set(auth()).expect(200);
      expect(group.body).toEqual(expect.objectContaining({ id: i.groupId, memberCount: 0 }));
      expect(await t.sql(`SELECT id FROM scim_users WHERE integration_id = $1`, [i.id])).toEqual([]);
      expect(await t.sql(`SELECT id FROM groups WHERE integration_id = $1`, [i.id])).toEqual([]);
      expect(await t.sql(`SELECT id FROM api_tokens WHERE integration_id = $1`, [i.id])).toEqual([]);
      const list = await request(t.http).get('/api/v1/scim-integrations').set(auth()).expect(200);
      expect(list.body).toEqual([]);
    });
  });

  describe('token rotation (POST /api/v1/scim-integrations/:id/token)', () => {
    const rotate = (id: string, body: Record<string, unknown> = {}) =>
      request(t.http).post(`/api/v1/scim-integrations/${id}/token`).set(auth()).send(body);

    it('without grace: the old token stops at once, the new one works', async () => {
      const i = await createIntegration(t, tenant);
      await scim(i.token).expect(200);
      const res = await rotate(i.id).expect(201);
      expect(res.body).toEqual({
        token: expect.stringMatching(SCIM_TOKEN),
        tokenHint: expect.any(String),
        tokenCreatedAt: expect.any(String),
        previousTokenValidUntil: null,
      });
      expect(res.body.token).not.toBe(i.token);
      expect(res.body.tokenHint).toBe(`rc_scim_…${res.body.token.slice(-4)}`);

      await scim(i.token).expect(401);
      await scim(res.body.token).expect(200);

      const rows = await t.sql<{ token_hash: Buffer; revoked_at: Date | null }>(
        `SELECT token_hash, revoked_at FROM api_tokens WHERE integration_id = $1 ORDER BY created_at`,
        [i.id],
      );
      expect(rows).toHaveLength(2);
      expect(rows[0].token_hash.equals(sha256(i.token))).toBe(true);
      expect(rows[0].revoked_at!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(rows[1].token_hash.equals(sha256(res.body.token))).toBe(true);
      expect(rows[1].revoked_at).toBeNull();

      const details = await request(t.http).get(`/api/v1/scim-integrations/${i.id}`).set(auth()).expect(200);
      expect(details.body.tokenHint).toBe(res.body.tokenHint);
      expect(details.body.tokenCreatedAt).toBe(res.body.tokenCreatedAt);
      expect(JSON.stringify(details.body)).not.toContain(res.body.token);
    });

    it('with grace: both tokens work until the grace period ends', async () => {
      const i = await createIntegration(t, tenant);
      const grace = 3600;
      const res = await rotate(i.id, { graceSeconds: grace }).expect(201);
      const expected = Date.now() + grace * 1000;
      expect(Math.abs(Date.parse(res.body.previousTokenValidUntil) - expected)).toBeLessThan(10_000);
      await scim(i.token).expect(200);
      await scim(res.body.token).expect(200);
      const [old] = await t.sql<{ revoked_at: Date }>(
        `SELECT revoked_at FROM api_tokens WHERE token_hash = $1`,
        [sha256(i.token)],
      );
      expect(old.revoked_at.toISOString()).toBe(res.body.previousTokenValidUntil);
      // The details show the new token.
      const details = await request(t.http).get(`/api/v1/scim-integrations/${i.id}`).set(auth()).expect(200);
      expect(details.body.tokenHint).toBe(res.body.tokenHint);

      // A second rotation without grace stops every older token at once.
      const again = await rotate(i.id, { graceSeconds: 0 }).expect(201);
      expect(again.body.previousTokenValidUntil).toBeNull();
      await scim(i.token).expect(401);
      await scim(res.body.token).expect(401);
      await scim(again.body.token).expect(200);
    });

    it('with a short grace: the old token stops when it ends', async () => {
      const i = await createIntegration(t, tenant);
      const res = await rotate(i.id, { graceSeconds: 1 }).expect(201);
      await scim(i.token).expect(200);
      await sleep(Date.parse(res.body.previousTokenValidUntil) - Date.now() + 300);
      await scim(i.token).expect(401);
      await scim(res.body.token).expect(200);
    });

    it('accepts a grace of exactly 7 days', async () => {
      const i = await createIntegration(t, tenant);
      const res = await rotate(i.id, { graceSeconds: 7 * 24 * 3600 }).expect(201);
      expect(
        Math.abs(Date.parse(res.body.previousTokenValidUntil) - (Date.now() + 7 * 24 * 3600_000)),
      ).toBeLessThan(10_000);
    });

    it.each([
      ['a grace above 7 days', { graceSeconds: 7 * 24 * 3600 + 1 }],
      ['a negative grace', { graceSeconds: -1 }],
      ['a fractional grace', { graceSeconds: 1.5 }],
      ['a grace as a string', { graceSeconds: '60' }],
    ])('refuses %s: 400 naming graceSeconds, and the token keeps working', async (_case, body) => {
      const i = await createIntegration(t, tenant);
      expectField(await rotate(i.id, body), 'graceSeconds');
      await scim(i.token).expect(200);
      const rows = await t.sql(`SELECT id FROM api_tokens WHERE integration_id = $1`, [i.id]);
      expect(rows).toHaveLength(1);
    });

    it('answers 404 for an unknown integration', async () => {
      expectApiError(await rotate(NO_SUCH_ID), 404, 'not_found');
    });

    it('rotates without a body', async () => {
      const i = await createIntegration(t, tenant);
      const res = await request(t.http)
        .post(`/api/v1/scim-integrations/${i.id}/token`)
        .set(auth())
        .expect(201);
      expect(res.body.previousTokenValidUntil).toBeNull();
      await scim(i.token).expect(401);
    });
  });
});
