import request from 'supertest';
import { generateToken, hashToken, parseToken, tokenHint } from '@rollcall/tokens';
import {
  createIntegration,
  createTenant,
  createTestApp,
  uniqueName,
  type TestApp,
  type TestTenant,
  expectApiError,
} from '@rollcall/testing';
import { legacyToken, rechecksum } from './fixtures/tokens';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function expectApi401(res: request.Response): void {
  expectApiError(res, 401, 'unauthorized');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
}

function expectScim401(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(res.body).toEqual(
    expect.objectContaining({ schemas: [SCIM_ERROR], status: '401', detail: expect.any(String) }),
  );
}

/** The same token with a different last (checksum) character. */
function badChecksum(token: string): string {
  return token.slice(0, -1) + (token.at(-1) === 'a' ? 'b' : 'a');
}

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
describe('authentication and tenant isolation', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let scimToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
    scimToken = (await createIntegration(t, tenant)).token;
  });
  afterAll(() => t.close());

  describe('settings API', () => {
    const adminRoutes: [string, string][] = [
      ['get', '/api/v1/groups'],
      ['post', '/api/v1/groups'],
      ['get', '/api/v1/admin-tokens'],
      ['post', '/api/v1/admin-tokens'],
      ['get', '/api/v1/scim-integrations'],
      ['post', '/api/v1/scim-integrations'],
      ['get', `/api/v1/scim-integrations/${NO_SUCH_ID}`],
      ['delete', `/api/v1/groups/${NO_SUCH_ID}`],
    ];
    const call = (method: string, path: string) =>
      (request(t.http) as unknown as Record<string, (p: string) => request.Test>)[method](path);

    it.each(adminRoutes)('refuses %s %s without an Authorization header', async (method, path) => {
      expectApi401(await call(method, path));
    });

    it.each([
      ['a Basic scheme', () => `Basic ${Buffer.from(`admin:${tenant.adminToken}`).toString('base64')}`],
      ['a malformed token', () => 'Bearer not-a-token'],
      ['an empty bearer', () => 'Bearer '],
      ['a token with a bad checksum', () => `Bearer ${badChecksum(tenant.adminToken)}`],
      ['a well-formed but unknown admin token', () => `Bearer ${generateToken('admin', tenant.id)}`],
      [
        'a well-formed admin token naming an unknown tenant',
        () => `Bearer ${generateToken('admin', NO_SUCH_ID)}`,
      ],
      ['a SCIM token', () => `Bearer ${scimToken}`],
      ['the operator token', () => `Bearer ${t.operatorToken}`],
    ])('refuses an admin route with %s', async (_case, header) => {
      for (const [method, path] of adminRoutes) {
        const res = await call(method, path).set('Authorization', header()).send({});
        expectApi401(res);
      }
    });

    it('says which kind of token a route needs when a valid token of another kind is used', async () => {
      const scim = await request(t.http).get('/api/v1/groups').auth(scimToken, { type: 'bearer' });
      expectApi401(scim);
      expect(scim.body.message).toBe('This endpoint requires an admin token or an admin-portal session');
      const operator = await request(t.http).get('/api/v1/groups').auth(t.operatorToken, { type: 'bearer' });
      expect(operator.body.message).toBe('This endpoint requires an admin token or an admin-portal session');
      const tokens = await request(t.http).get('/api/v1/admin-tokens').auth(scimToken, { type: 'bearer' });
      expect(tokens.body.message).toBe('This endpoint requires an admin token');
      const admin = await request(t.http).get('/api/v1/tenants').auth(tenant.adminToken, { type: 'bearer' });
      expectApi401(admin);
      expect(admin.body.message).toBe('This endpoint requires the operator token');
      const none = await request(t.http).get('/api/v1/groups');
      expect(none.body.message).toBe('A valid bearer token is required');
    });

    it('accepts a valid admin token, whatever the case of the scheme', async () => {
      await request(t.http)
        .get('/api/v1/groups')
        .set('Authorization', `bearer ${tenant.adminToken}`)
        .expect(200);
    });

    it('names its tenant in every token it issues, and a token moved to another tenant is refused', async () => {
      const other = await createTenant(t);
      const [first, second] = [parseToken(tenant.adminToken), parseToken(other.adminToken)];
      expect(first).toEqual({ kind: 'admin', tenantId: tenant.id });
      expect(second).toEqual({ kind: 'admin', tenantId: other.id });
      expect(parseToken(scimToken)).toEqual({ kind: 'scim', tenantId: tenant.id });
      // The same secret under the other tenant's id, with a checksum that matches: not a token of either.
      const tenantPart = (token: string) => token.slice('rc_adm_'.length, 'rc_adm_'.length + 22);
      const moved = rechecksum(
        tenant.adminToken.replace(tenantPart(tenant.adminToken), tenantPart(other.adminToken)),
      );
      expect(parseToken(moved)).toEqual({ kind: 'admin', tenantId: other.id });
      expectApi401(await request(t.http).get('/api/v1/groups').auth(moved, { type: 'bearer' }));
    });

    it('still accepts an admin token issued before tokens named their tenant', async () => {
      const legacy = legacyToken('rc_adm_');
      await t.sql(`INSERT INTO api_tokens (tenant_id, kind, token_hash, hint) VALUES ($1, 'admin', $2, $3)`, [
        tenant.id,
        hashToken(legacy),
        tokenHint(legacy),
      ]);
      expect(parseToken(legacy)).toEqual({ kind: 'admin', tenantId: undefined });
      const res = await request(t.http)
        .get('/api/v1/admin-tokens')
        .auth(legacy, { type: 'bearer' })
        .expect(200);
      expect((res.body as { hint: string }[]).map((i) => i.hint)).toContain(tokenHint(legacy));
    });

    it.each([
      ['no header', () => undefined],
      ['a Basic scheme', () => `Basic ${Buffer.from(`op:${t.operatorToken}`).toString('base64')}`],
      ['a malformed token', () => 'Bearer nope'],
      ['an admin token', () => `Bearer ${tenant.adminToken}`],
      ['a SCIM token', () => `Bearer ${scimToken}`],
      ['an operator token with one character changed', () => `Bearer ${t.operatorToken.slice(0, -1)}x`],
    ])('refuses the operator API with %s', async (_case, header) => {
      for (const req of [
        () => request(t.http).get('/api/v1/tenants'),
        () => request(t.http).post('/api/v1/tenants').send({ name: 'x' }),
        () => request(t.http).get(`/api/v1/tenants/${tenant.id}`),
        () => request(t.http).patch(`/api/v1/tenants/${tenant.id}`).send({ enabled: false }),
      ]) {
        const r = req();
        const h = header();
        if (h !== undefined) void r.set('Authorization', h);
        expectApi401(await r);
      }
      // Nothing was changed by the refused PATCH.
      const [row] = await t.sql(`SELECT enabled FROM tenants WHERE id = $1`, [tenant.id]);
      expect(row).toEqual({ enabled: true });
    });

    it('stops a revoked admin token on the very next request', async () => {
      const created = await request(t.http)
        .post('/api/v1/admin-tokens')
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({ name: 'to revoke' })
        .expect(201);
      const token: string = created.body.token;
      // Warm any cache first.
      await request(t.http).get('/api/v1/groups').auth(token, { type: 'bearer' }).expect(200);
      await request(t.http)
        .delete(`/api/v1/admin-tokens/${created.body.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .expect(204);
      expectApi401(await request(t.http).get('/api/v1/groups').auth(token, { type: 'bearer' }));
      const [row] = await t.sql<{ revoked_at: Date | null }>(
        `SELECT revoked_at FROM api_tokens WHERE id = $1`,
        [created.body.id],
      );
      expect(row.revoked_at).toBeInstanceOf(Date);
    });

    it('a token can revoke itself; its next request is refused', async () => {
      const created = await request(t.http)
        .post('/api/v1/admin-tokens')
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({})
        .expect(201);
      await request(t.http)
        .delete(`/api/v1/admin-tokens/${created.body.id}`)
        .auth(created.body.token, { type: 'bearer' })
        .expect(204);
      expectApi401(
        await request(t.http).get('/api/v1/admin-tokens').auth(created.body.token, { type: 'bearer' }),
      );
    });

    it('stops an expired admin token', async () => {
      const expiresAt = new Date(Date.now() + 2000);
      const created = await request(t.http)
        .post('/api/v1/admin-tokens')
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({ name: 'short-lived', expiresAt: expiresAt.toISOString() })
        .expect(201);
      expect(Date.parse(created.body.expiresAt)).toBe(expiresAt.getTime());
      await request(t.http).get('/api/v1/groups').auth(created.body.token, { type: 'bearer' }).expect(200);
      await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 300));
      expectApi401(await request(t.http).get('/api/v1/groups').auth(created.body.token, { type: 'bearer' }));
      // Still listed, with its expiry, for the record.
      const list = await request(t.http)
        .get('/api/v1/admin-tokens')
        .auth(tenant.adminToken, { type: 'bearer' });
      expect(list.body.find((x: { id: string }) => x.id === created.body.id)).toEqual(
        expect.objectContaining({ expiresAt: expiresAt.toISOString(), revokedAt: null }),
      );
    });

    it('stops the tokens of a disabled tenant', async () => {
      const other = await createTenant(t);
      await request(t.http)
        .patch(`/api/v1/tenants/${other.id}`)
        .auth(t.operatorToken, { type: 'bearer' })
        .send({ enabled: false })
        .expect(200);
      expectApi401(await request(t.http).get('/api/v1/groups').auth(other.adminToken, { type: 'bearer' }));
    });
  });

  describe("another tenant's resources are 404, never 403", () => {
    let a: TestTenant;
    let b: TestTenant;
    let groupId: string;
    let integrationId: string;
    let integrationToken: string;
    let targetGroupId: string;
    let adminTokenId: string;
    const asB = () => ({ Authorization: `Bearer ${b.adminToken}` });

    beforeAll(async () => {
      a = await createTenant(t);
      b = await createTenant(t);
      const g = await request(t.http)
        .post('/api/v1/groups')
        .auth(a.adminToken, { type: 'bearer' })
        .send({ name: uniqueName('A group') })
        .expect(201);
      groupId = g.body.id;
      const i = await createIntegration(t, a);
      integrationId = i.id;
      integrationToken = i.token;
      targetGroupId = i.groupId;
      const tok = await request(t.http)
        .post('/api/v1/admin-tokens')
        .auth(a.adminToken, { type: 'bearer' })
        .send({ name: 'A second' })
        .expect(201);
      adminTokenId = tok.body.id;
    });

    it.each([
      ['GET a group', () => request(t.http).get(`/api/v1/groups/${groupId}`)],
      ['PATCH a group', () => request(t.http).patch(`/api/v1/groups/${groupId}`).send({ name: 'stolen' })],
      ['DELETE a group', () => request(t.http).delete(`/api/v1/groups/${groupId}`)],
      ['GET the members of a group', () => request(t.http).get(`/api/v1/groups/${targetGroupId}/members`)],
      ['GET an integration', () => request(t.http).get(`/api/v1/scim-integrations/${integrationId}`)],
      [
        'PATCH an integration',
        () => request(t.http).patch(`/api/v1/scim-integrations/${integrationId}`).send({ enabled: false }),
      ],
      ['DELETE an integration', () => request(t.http).delete(`/api/v1/scim-integrations/${integrationId}`)],
      [
        'rotate the token of an integration',
        () => request(t.http).post(`/api/v1/scim-integrations/${integrationId}/token`).send({}),
      ],
      ['DELETE an admin token', () => request(t.http).delete(`/api/v1/admin-tokens/${adminTokenId}`)],
      [
        'target a group in a new integration',
        () =>
          request(t.http).post('/api/v1/scim-integrations').send({ name: 'x', provider: 'okta', groupId }),
      ],
    ])('%s of tenant A with the admin token of tenant B: 404', async (_case, req) => {
      const res = await req().set(asB());
      expectApiError(res, 404, 'not_found');
    });

    it("B cannot point its own integration at A's group", async () => {
      const own = await createIntegration(t, b);
      const res = await request(t.http)
        .patch(`/api/v1/scim-integrations/${own.id}`)
        .set(asB())
        .send({ groupId })
        .expect(404);
      expectApiError(res, 404, 'not_found');
    });

    it("left A's resources untouched and out of B's lists", async () => {
      const [g] = await t.sql(`SELECT name FROM groups WHERE id = $1`, [groupId]);
      expect(g.name).not.toBe('stolen');
      const [i] = await t.sql(`SELECT enabled FROM scim_integrations WHERE id = $1`, [integrationId]);
      expect(i).toEqual({ enabled: true });
      const tokens = await t.sql(
        `SELECT revoked_at FROM api_tokens WHERE id = $1 OR (integration_id = $2 AND revoked_at IS NULL)`,
        [adminTokenId, integrationId],
      );
      expect(tokens).toEqual([{ revoked_at: null }, { revoked_at: null }]);
      await request(t.http)
        .get(`/api/v1/groups/${groupId}`)
        .auth(a.adminToken, { type: 'bearer' })
        .expect(200);

      const groups = await request(t.http).get('/api/v1/groups').set(asB()).expect(200);
      const ids = groups.body.items.map((x: { id: string }) => x.id);
      expect(ids).not.toContain(groupId);
      expect(ids).not.toContain(targetGroupId);
      const integrations = await request(t.http).get('/api/v1/scim-integrations').set(asB()).expect(200);
      expect(integrations.body.map((x: { id: string }) => x.id)).not.toContain(integrationId);
      const adminTokens = await request(t.http).get('/api/v1/admin-tokens').set(asB()).expect(200);
      expect(adminTokens.body.map((x: { id: string }) => x.id)).not.toContain(adminTokenId);
      expect(integrationToken).toMatch(/^rc_scim_/);
    });
  });

  // These need the SCIM Users routes (GET /scim/v2/Users); they fail until those land.
  describe('SCIM API (GET /scim/v2/Users)', () => {
    const users = () => request(t.http).get('/scim/v2/Users');

    it('accepts the integration token', async () => {
      await users().auth(scimToken, { type: 'bearer' }).expect(200);
    });

    it.each([
      ['no Authorization header', () => undefined],
      ['a Basic scheme', () => `Basic ${Buffer.from(`scim:${scimToken}`).toString('base64')}`],
      ['a malformed token', () => 'Bearer not-a-token'],
      ['a token with a bad checksum', () => `Bearer ${badChecksum(scimToken)}`],
      ['a well-formed but unknown SCIM token', () => `Bearer ${generateToken('scim', tenant.id)}`],
      ['an admin token', () => `Bearer ${tenant.adminToken}`],
      ['the operator token', () => `Bearer ${t.operatorToken}`],
    ])('refuses %s with a SCIM 401', async (_case, header) => {
      const r = users();
      const h = header();
      if (h !== undefined) void r.set('Authorization', h);
      expectScim401(await r);
    });

    it('refuses the token of a disabled integration, and accepts it again once re-enabled', async () => {
      const integration = await createIntegration(t, tenant);
      await users().auth(integration.token, { type: 'bearer' }).expect(200);
      await request(t.http)
        .patch(`/api/v1/scim-integrations/${integration.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({ enabled: false })
        .expect(200);
      expectScim401(await users().auth(integration.token, { type: 'bearer' }));
      await request(t.http)
        .patch(`/api/v1/scim-integrations/${integration.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({ enabled: true })
        .expect(200);
      await users().auth(integration.token, { type: 'bearer' }).expect(200);
    });

    it('refuses the SCIM token of a disabled tenant', async () => {
      const other = await createTenant(t);
      const integration = await createIntegration(t, other);
      await request(t.http)
        .patch(`/api/v1/tenants/${other.id}`)
        .auth(t.operatorToken, { type: 'bearer' })
        .send({ enabled: false })
        .expect(200);
      expectScim401(await users().auth(integration.token, { type: 'bearer' }));
    });

    it('refuses a rotated-out SCIM token', async () => {
      const integration = await createIntegration(t, tenant);
      await users().auth(integration.token, { type: 'bearer' }).expect(200);
      await request(t.http)
        .post(`/api/v1/scim-integrations/${integration.id}/token`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .send({})
        .expect(201);
      expectScim401(await users().auth(integration.token, { type: 'bearer' }));
    });
  });
});
