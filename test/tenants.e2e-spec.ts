import request from 'supertest';
import { createHash } from 'node:crypto';
import {
  createIntegration,
  createTenant,
  createTestApp,
  type TestApp,
  expectApiError,
} from '@rollcall/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ADMIN_TOKEN = /^rc_adm_[0-9A-Za-z]{71}$/;

describe('tenants (operator API)', () => {
  let t: TestApp;
  const op = () => ({ Authorization: `Bearer ${t.operatorToken}` });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a tenant: 201 with id, name, createdAt and a first admin token stored only as its hash', async () => {
    const res = await request(t.http)
      .post('/api/v1/tenants')
      .set(op())
      .send({ name: '  Acme  ' })
      .expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(UUID),
        name: 'Acme',
        enabled: true,
        createdAt: expect.any(String),
        adminToken: expect.stringMatching(ADMIN_TOKEN),
      }),
    );
    expect(Math.abs(Date.parse(res.body.createdAt) - Date.now())).toBeLessThan(60_000);

    const [tenant] = await t.sql(`SELECT name, enabled FROM tenants WHERE id = $1`, [res.body.id]);
    expect(tenant).toEqual({ name: 'Acme', enabled: true });
    const tokens = await t.sql<{ kind: string; token_hash: Buffer; hint: string; integration_id: null }>(
      `SELECT kind, token_hash, hint, integration_id FROM api_tokens WHERE tenant_id = $1`,
      [res.body.id],
    );
    expect(tokens).toHaveLength(1);
    const token: string = res.body.adminToken;
    expect(tokens[0].kind).toBe('admin');
    expect(tokens[0].integration_id).toBeNull();
    expect(tokens[0].token_hash).toHaveLength(32);
    expect(tokens[0].token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(tokens[0].token_hash.toString('utf8')).not.toContain(token);
    expect(tokens[0].hint).toBe(`rc_adm_…${token.slice(-4)}`);

    // The token works at once for the tenant's settings API.
    await request(t.http).get('/api/v1/groups').auth(token, { type: 'bearer' }).expect(200);
  });

  it('gives every tenant a different admin token', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    expect(a.adminToken).not.toBe(b.adminToken);
  });

  it.each([
    ['missing name', {}, 'name'],
    ['blank name', { name: '   ' }, 'name'],
    ['non-string name', { name: 42 }, 'name'],
    ['over-long name', { name: 'x'.repeat(201) }, 'name'],
    ['unknown field', { name: 'Acme', plan: 'gold' }, 'plan'],
  ])('refuses a create with %s: 400 naming the field', async (_case, body, field) => {
    const res = await request(t.http).post('/api/v1/tenants').set(op()).send(body);
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('lists tenants oldest first, paginated', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    // Other test files create tenants at the same time: walk every page, and bound the total by counts
    // taken before and after.
    const [{ count: before }] = await t.sql<{ count: string }>(`SELECT count(*) FROM tenants`);
    const first = await request(t.http).get('/api/v1/tenants?pageSize=200').set(op()).expect(200);
    const [{ count: after }] = await t.sql<{ count: string }>(`SELECT count(*) FROM tenants`);
    expect(first.body).toEqual(
      expect.objectContaining({
        total: expect.any(Number),
        page: 1,
        pageSize: 200,
        items: expect.any(Array),
      }),
    );
    expect(first.body.total).toBeGreaterThanOrEqual(Number(before));
    expect(first.body.total).toBeLessThanOrEqual(Number(after));
    const items: { id: string }[] = [...first.body.items];
    for (let page = 2; (page - 1) * 200 < first.body.total; page++) {
      const res = await request(t.http)
        .get(`/api/v1/tenants?pageSize=200&page=${page}`)
        .set(op())
        .expect(200);
      items.push(...res.body.items);
    }
    const ids = items.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.indexOf(a.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    const item = items.find((i) => i.id === a.id);
    expect(item).toEqual({
      id: a.id,
      name: a.name,
      enabled: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(item).not.toHaveProperty('adminToken');

    const page = await request(t.http).get('/api/v1/tenants?page=2&pageSize=1').set(op()).expect(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0].id).toBe(ids[1]);
    expect(page.body).toEqual(expect.objectContaining({ page: 2, pageSize: 1 }));
  });

  it.each([
    ['page=0', 'page'],
    ['pageSize=201', 'pageSize'],
    ['pageSize=abc', 'pageSize'],
  ])('refuses a list with %s: 400 naming the parameter', async (query, field) => {
    const res = await request(t.http).get(`/api/v1/tenants?${query}`).set(op());
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('reads one tenant', async () => {
    const a = await createTenant(t);
    const res = await request(t.http).get(`/api/v1/tenants/${a.id}`).set(op()).expect(200);
    expect(res.body).toEqual({
      id: a.id,
      name: a.name,
      enabled: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('answers 404 for an unknown tenant id, on GET and PATCH', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectApiError(await request(t.http).get(`/api/v1/tenants/${id}`).set(op()), 404, 'not_found');
    expectApiError(
      await request(t.http).patch(`/api/v1/tenants/${id}`).set(op()).send({ name: 'x' }),
      404,
      'not_found',
    );
  });

  it('answers 400 naming `id` for a non-UUID id', async () => {
    for (const res of [
      await request(t.http).get('/api/v1/tenants/not-a-uuid').set(op()),
      await request(t.http).patch('/api/v1/tenants/123').set(op()).send({ name: 'x' }),
    ]) {
      expectApiError(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
      expect(res.body.message).toContain('id');
    }
  });

  it('renames a tenant', async () => {
    const a = await createTenant(t);
    const res = await request(t.http)
      .patch(`/api/v1/tenants/${a.id}`)
      .set(op())
      .send({ name: 'Renamed Inc' })
      .expect(200);
    expect(res.body).toEqual(expect.objectContaining({ id: a.id, name: 'Renamed Inc', enabled: true }));
    const [row] = await t.sql(`SELECT name FROM tenants WHERE id = $1`, [a.id]);
    expect(row).toEqual({ name: 'Renamed Inc' });
  });

  it.each([
    ['enabled as a string', { enabled: 'no' }, 'enabled'],
    ['a blank name', { name: '' }, 'name'],
    ['an unknown field', { plan: 'gold' }, 'plan'],
    ['a null name', { name: null }, 'name'],
    ['a null enabled', { enabled: null }, 'enabled'],
  ])('refuses a patch with %s: 400 naming the field', async (_case, body, field) => {
    const a = await createTenant(t);
    const res = await request(t.http).patch(`/api/v1/tenants/${a.id}`).set(op()).send(body);
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('disabling a tenant stops its admin tokens on the next request; re-enabling restores them', async () => {
    const a = await createTenant(t);
    const other = await createTenant(t);
    const admin = () => request(t.http).get('/api/v1/groups').auth(a.adminToken, { type: 'bearer' });
    await admin().expect(200);

    const off = await request(t.http)
      .patch(`/api/v1/tenants/${a.id}`)
      .set(op())
      .send({ enabled: false })
      .expect(200);
    expect(off.body).toEqual(expect.objectContaining({ id: a.id, name: a.name, enabled: false }));
    const [row] = await t.sql(`SELECT enabled FROM tenants WHERE id = $1`, [a.id]);
    expect(row).toEqual({ enabled: false });

    const refused = await admin();
    expectApiError(refused, 401, 'unauthorized');
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    // Other tenants are untouched, and the operator still sees it.
    await request(t.http).get('/api/v1/groups').auth(other.adminToken, { type: 'bearer' }).expect(200);
    const seen = await request(t.http).get(`/api/v1/tenants/${a.id}`).set(op()).expect(200);
    expect(seen.body.enabled).toBe(false);

    const on = await request(t.http)
      .patch(`/api/v1/tenants/${a.id}`)
      .set(op())
      .send({ enabled: true })
      .expect(200);
    expect(on.body.enabled).toBe(true);
    await admin().expect(200);
  });

  // Needs the SCIM Users routes (GET /scim/v2/Users).
  it("disabling a tenant stops its integrations' SCIM tokens on the next request; re-enabling restores them", async () => {
    const a = await createTenant(t);
    const integration = await createIntegration(t, a);
    const scim = () => request(t.http).get('/scim/v2/Users').auth(integration.token, { type: 'bearer' });
    await scim().expect(200);

    await request(t.http).patch(`/api/v1/tenants/${a.id}`).set(op()).send({ enabled: false }).expect(200);
    const refused = await scim();
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(refused.body).toEqual(
      expect.objectContaining({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' }),
    );

    await request(t.http).patch(`/api/v1/tenants/${a.id}`).set(op()).send({ enabled: true }).expect(200);
    await scim().expect(200);
  });

  it('refuses the operator API without the operator token', async () => {
    const a = await createTenant(t);
    for (const res of [
      await request(t.http).get('/api/v1/tenants'),
      await request(t.http).get('/api/v1/tenants').auth(a.adminToken, { type: 'bearer' }),
      await request(t.http)
        .post('/api/v1/tenants')
        .auth('x'.repeat(40), { type: 'bearer' })
        .send({ name: 'x' }),
    ]) {
      expectApiError(res, 401, 'unauthorized');
    }
  });
});
