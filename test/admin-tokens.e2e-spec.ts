import request from 'supertest';
import { createHash } from 'node:crypto';
import {
  createTenant,
  createTestApp,
  type TestApp,
  type TestTenant,
  expectApiError,
} from '@rollcall/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sha256(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

describe('admin tokens', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const auth = (token = tenant.adminToken) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  it('creates a token: shown once in full, stored as its SHA-256 hash with a hint', async () => {
    const res = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth())
      .send({ name: 'ci deploy' })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: 'ci deploy',
      token: expect.stringMatching(/^rc_adm_[0-9A-Za-z]{71}$/),
      hint: expect.any(String),
      createdAt: expect.any(String),
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
    const token: string = res.body.token;
    expect(res.body.hint).toBe(`rc_adm_…${token.slice(-4)}`);

    const rows = await t.sql<Record<string, unknown> & { token_hash: Buffer }>(
      `SELECT * FROM api_tokens WHERE id = $1`,
      [res.body.id],
    );
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toEqual(
      expect.objectContaining({
        tenant_id: tenant.id,
        kind: 'admin',
        integration_id: null,
        name: 'ci deploy',
        hint: res.body.hint,
        expires_at: null,
        revoked_at: null,
      }),
    );
    expect(row.token_hash).toHaveLength(32);
    expect(row.token_hash.equals(sha256(token))).toBe(true);
    // The token itself is stored nowhere.
    for (const value of Object.values(row)) expect(String(value)).not.toContain(token.slice(7, 30));

    // It works.
    await request(t.http).get('/api/v1/groups').set(auth(token)).expect(200);
  });

  it('creates a token without a name', async () => {
    const res = await request(t.http).post('/api/v1/admin-tokens').set(auth()).send({}).expect(201);
    expect(res.body.name).toBeNull();
  });

  it('lists tokens newest first, with hints and never the token', async () => {
    const first = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth())
      .send({ name: 'one' })
      .expect(201);
    await new Promise((r) => setTimeout(r, 5));
    const second = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth())
      .send({ name: 'two' })
      .expect(201);

    const res = await request(t.http).get('/api/v1/admin-tokens').set(auth()).expect(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.map((x: { name: string }) => x.name)).toEqual(['two', 'one', 'initial']);
    expect(res.body[0]).toEqual({
      id: second.body.id,
      name: 'two',
      hint: second.body.hint,
      createdAt: second.body.createdAt,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
    expect(res.body[1].id).toBe(first.body.id);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(first.body.token);
    expect(text).not.toContain(second.body.token);
    expect(text).not.toContain(tenant.adminToken);
    for (const item of res.body) expect(item).not.toHaveProperty('token');
  });

  it('records when a token was last used', async () => {
    const created = await request(t.http).post('/api/v1/admin-tokens').set(auth()).send({}).expect(201);
    await request(t.http).get('/api/v1/groups').set(auth(created.body.token)).expect(200);
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 50 && !lastUsedAt; i++) {
      const list = await request(t.http).get('/api/v1/admin-tokens').set(auth()).expect(200);
      lastUsedAt = list.body.find((x: { id: string }) => x.id === created.body.id).lastUsedAt;
      if (!lastUsedAt) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsedAt).not.toBeNull();
    expect(Math.abs(Date.parse(lastUsedAt!) - Date.now())).toBeLessThan(60_000);
  });

  it('writes lastUsedAt at most once a minute, not on every request', async () => {
    const created = await request(t.http).post('/api/v1/admin-tokens').set(auth()).send({}).expect(201);
    const stored = async () =>
      (
        await t.sql<{ last_used_at: Date | null }>(`SELECT last_used_at FROM api_tokens WHERE id = $1`, [
          created.body.id,
        ])
      )[0].last_used_at;
    await request(t.http).get('/api/v1/groups').set(auth(created.body.token)).expect(200);
    let first: Date | null = null;
    for (let i = 0; i < 50 && !first; i++) {
      first = await stored();
      if (!first) await new Promise((r) => setTimeout(r, 20));
    }
    expect(first).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 3; i++) {
      await request(t.http).get('/api/v1/groups').set(auth(created.body.token)).expect(200);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await stored())!.getTime()).toBe(first!.getTime());
  });

  it('deletes (revokes) a token: 204, then 401 with that token; the list shows it revoked', async () => {
    const created = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth())
      .send({ name: 'bye' })
      .expect(201);
    await request(t.http).get('/api/v1/admin-tokens').set(auth(created.body.token)).expect(200);

    const del = await request(t.http)
      .delete(`/api/v1/admin-tokens/${created.body.id}`)
      .set(auth())
      .expect(204);
    expect(del.text).toBe('');
    const refused = await request(t.http).get('/api/v1/admin-tokens').set(auth(created.body.token));
    expectApiError(refused, 401, 'unauthorized');
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);

    const list = await request(t.http).get('/api/v1/admin-tokens').set(auth()).expect(200);
    const item = list.body.find((x: { id: string }) => x.id === created.body.id);
    expect(item.revokedAt).toEqual(expect.any(String));
    expect(Date.parse(item.revokedAt)).toBeLessThanOrEqual(Date.now() + 1000);
    // The other tokens still work.
    await request(t.http).get('/api/v1/groups').set(auth()).expect(200);
  });

  it("answers 404 for another tenant's token, and leaves it working", async () => {
    const other = await createTenant(t);
    const theirs = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth(other.adminToken))
      .send({ name: 'theirs' })
      .expect(201);
    const res = await request(t.http).delete(`/api/v1/admin-tokens/${theirs.body.id}`).set(auth());
    expectApiError(res, 404, 'not_found');
    await request(t.http).get('/api/v1/groups').set(auth(theirs.body.token)).expect(200);
    const [row] = await t.sql(`SELECT revoked_at FROM api_tokens WHERE id = $1`, [theirs.body.id]);
    expect(row).toEqual({ revoked_at: null });
  });

  it('answers 404 for an unknown id and 400 naming `id` for a non-UUID', async () => {
    expectApiError(
      await request(t.http).delete('/api/v1/admin-tokens/00000000-0000-4000-8000-000000000000').set(auth()),
      404,
      'not_found',
    );
    const bad = await request(t.http).delete('/api/v1/admin-tokens/nope').set(auth());
    expectApiError(bad, 400, 'validation_failed');
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
  });

  it("cannot delete a SCIM integration's token through this API", async () => {
    const integration = await request(t.http)
      .post('/api/v1/scim-integrations')
      .set(auth())
      .send({ name: 'Okta', provider: 'okta', newGroupName: 'Okta users' })
      .expect(201);
    const [scim] = await t.sql<{ id: string }>(`SELECT id FROM api_tokens WHERE integration_id = $1`, [
      integration.body.id,
    ]);
    expectApiError(
      await request(t.http).delete(`/api/v1/admin-tokens/${scim.id}`).set(auth()),
      404,
      'not_found',
    );
    const list = await request(t.http).get('/api/v1/admin-tokens').set(auth()).expect(200);
    expect(list.body.map((x: { id: string }) => x.id)).not.toContain(scim.id);
  });

  it.each([
    ['an expiresAt in the past', { expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt'],
    ['an expiresAt that is not a date', { expiresAt: 'tomorrow' }, 'expiresAt'],
    ['a blank name', { name: '' }, 'name'],
    ['an over-long name', { name: 'x'.repeat(201) }, 'name'],
    ['an unknown field', { scope: 'all' }, 'scope'],
  ])('refuses %s: 400 naming the field', async (_case, body, field) => {
    const res = await request(t.http).post('/api/v1/admin-tokens').set(auth()).send(body);
    expectApiError(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    const [{ count }] = await t.sql<{ count: string }>(
      `SELECT count(*) FROM api_tokens WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(Number(count)).toBe(1);
  });

  it('stores an expiresAt and reports it', async () => {
    const expiresAt = new Date(Date.now() + 3600_000);
    const res = await request(t.http)
      .post('/api/v1/admin-tokens')
      .set(auth())
      .send({ expiresAt: expiresAt.toISOString() })
      .expect(201);
    expect(res.body.expiresAt).toBe(expiresAt.toISOString());
    const [row] = await t.sql<{ expires_at: Date }>(`SELECT expires_at FROM api_tokens WHERE id = $1`, [
      res.body.id,
    ]);
    expect(row.expires_at.toISOString()).toBe(expiresAt.toISOString());
  });
});

describe("the operator's help with a tenant's admin tokens", () => {
  let t: TestApp;
  let tenant: TestTenant;
  const operator = () => ({ Authorization: `Bearer ${t.operatorToken}` });
  const path = (tenantId = tenant.id) => `/api/v1/tenants/${tenantId}/admin-tokens`;

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  it('issues a new admin token for a tenant that lost its own: shown once, works, stored only as a hash', async () => {
    const res = await request(t.http).post(path()).set(operator()).send({ name: 'recovery' }).expect(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(UUID),
      name: 'recovery',
      token: expect.stringMatching(/^rc_adm_[0-9A-Za-z]{71}$/),
      revokedAt: null,
    });
    const stored = await t.sql<{ token_hash: Buffer; tenant_id: string; kind: string }>(
      'SELECT token_hash, tenant_id, kind FROM api_tokens WHERE id = $1',
      [res.body.id],
    );
    expect(stored).toEqual([{ token_hash: sha256(res.body.token), tenant_id: tenant.id, kind: 'admin' }]);
    await request(t.http)
      .get('/api/v1/groups')
      .set({ Authorization: `Bearer ${res.body.token}` })
      .expect(200);
  });

  it("lists a tenant's admin tokens with hints, never the tokens", async () => {
    const issued = await request(t.http).post(path()).set(operator()).send({ name: 'second' }).expect(201);
    const res = await request(t.http).get(path()).set(operator()).expect(200);
    expect(res.body.map((x: { name: string }) => x.name)).toEqual(['second', 'initial']);
    expect(JSON.stringify(res.body)).not.toContain(issued.body.token);
    expect(JSON.stringify(res.body)).not.toContain(tenant.adminToken);
    expect(res.body[0]).toMatchObject({ id: issued.body.id, hint: issued.body.hint });
  });

  it("revokes a tenant's admin token: 204, then 401 with it; the list shows it revoked", async () => {
    const [initial] = (await request(t.http).get(path()).set(operator()).expect(200)).body as {
      id: string;
    }[];
    await request(t.http).delete(`${path()}/${initial.id}`).set(operator()).expect(204);
    expectApiError(
      await request(t.http)
        .get('/api/v1/groups')
        .set({ Authorization: `Bearer ${tenant.adminToken}` }),
      401,
      'unauthorized',
    );
    const after = await request(t.http).get(path()).set(operator()).expect(200);
    expect(after.body[0]).toMatchObject({ id: initial.id, revokedAt: expect.any(String) });
  });

  it('answers 404 for an unknown tenant, and for a token of another tenant (which keeps working)', async () => {
    const other = await createTenant(t);
    const [othersToken] = (await request(t.http).get(path(other.id)).set(operator()).expect(200)).body as {
      id: string;
    }[];
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectApiError(await request(t.http).get(path(unknown)).set(operator()), 404, 'not_found');
    expectApiError(await request(t.http).post(path(unknown)).set(operator()).send({}), 404, 'not_found');
    expectApiError(
      await request(t.http).delete(`${path()}/${othersToken.id}`).set(operator()),
      404,
      'not_found',
    );
    await request(t.http)
      .get('/api/v1/groups')
      .set({ Authorization: `Bearer ${other.adminToken}` })
      .expect(200);
    expectApiError(await request(t.http).delete(`${path()}/nope`).set(operator()), 400, 'validation_failed');
  });

  it("is the operator's alone: an admin token cannot call it, even for its own tenant", async () => {
    const res = await request(t.http)
      .get(path())
      .set({ Authorization: `Bearer ${tenant.adminToken}` });
    expectApiError(res, 401, 'unauthorized');
    expect(res.body.message).toContain('operator');
  });
});
