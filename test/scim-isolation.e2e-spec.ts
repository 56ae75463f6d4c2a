import request from 'supertest';
import { createIntegration, createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  createUser,
  expectListResponse,
  expectScimError,
  filterQuery,
  type Json,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
  storedUser,
  userBody,
} from './fixtures/scim';

describe('SCIM isolation between integrations and tenants', () => {
  let t: TestApp;
  let owner: ScimClient;
  let sibling: ScimClient; // another integration of the same tenant
  let stranger: ScimClient; // another tenant's integration
  let victim: Json;
  let ownerGroupId: string;
  let strangerAdmin: string;

  beforeAll(async () => {
    t = await createTestApp();
    const a = await createScimDirectory(t, 'okta');
    const b = await createScimDirectory(t, 'entra');
    owner = scimClient(t, a.integration.token);
    ownerGroupId = a.integration.groupId;
    sibling = scimClient(t, (await createIntegration(t, a.tenant, { provider: 'entra' })).token);
    stranger = scimClient(t, b.integration.token);
    strangerAdmin = b.tenant.adminToken;
    victim = await createUser(owner, 'shared@example.com', {
      externalId: 'EXT-SHARED',
      title: 'Secret',
      emails: [{ value: 'shared@example.com', type: 'work' }],
    });
  });
  afterAll(() => t.close());

  const others = () =>
    [
      ['another integration of the same tenant', sibling],
      ['another tenant', stranger],
    ] as const;

  it('lets each directory have its own user of the same userName', async () => {
    for (const [, client] of others()) {
      const own = await createUser(client, 'SHARED@example.com');
      expect(own.id).not.toBe(victim.id);
    }
  });

  it.each([0, 1])('GET, PUT, PATCH and DELETE of a user of another directory are 404 (%#)', async (i) => {
    const client = others()[i][1];
    const path = `/Users/${victim.id}`;
    expectScimError(await client.get(path), 404);
    expectScimError(await client.put(path, userBody('hijacked@example.com')), 404);
    expectScimError(await client.put(path, userBody('hijacked@example.com')).set('If-Match', 'W/"1"'), 404);
    expectScimError(
      await client.patch(path, patchBody({ op: 'replace', path: 'active', value: false })),
      404,
    );
    expectScimError(
      await client
        .patch(path, patchBody({ op: 'replace', path: 'title', value: 'x' }))
        .set('If-Match', 'W/"9"'),
      404,
    );
    expectScimError(await client.delete(path), 404);
    expectScimError(await client.delete(path).set('If-Match', 'W/"9"'), 404);
    const row = await storedUser(t, victim.id);
    expect(row).toMatchObject({ user_name: 'shared@example.com', active: true, version: 1 });
    expect(row!.resource.title).toBe('Secret');
  });

  it.each([0, 1])('a user of another directory is invisible to every filter (%#)', async (i) => {
    const client = others()[i][1];
    const filters = [
      `id eq "${victim.id}"`,
      'externalId eq "EXT-SHARED"',
      'title pr',
      'title eq "Secret"',
      'emails[type eq "work" and value eq "shared@example.com"]',
      `id eq "${victim.id}" or userName pr`,
      'not (userName eq "nobody")',
      'meta.created gt "2000-01-01T00:00:00Z"',
    ];
    for (const filter of filters) {
      const list = expectListResponse(await client.get(filterQuery(filter)));
      expect(list.Resources.map((r) => r.id)).not.toContain(victim.id);
      expect(list.Resources.every((r) => r.title === undefined)).toBe(true);
      const search = expectListResponse(
        await client.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter }),
      );
      expect(search.Resources.map((r) => r.id)).not.toContain(victim.id);
    }
    // Its own same-named user is found, and only it.
    const byName = expectListResponse(await client.get(filterQuery('userName eq "shared@example.com"')));
    expect(byName.totalResults).toBe(1);
    expect(byName.Resources[0].id).not.toBe(victim.id);
    const present = expectListResponse(await client.get(filterQuery('userName pr')));
    expect(present.Resources.map((r) => r.id)).not.toContain(victim.id);
    expect(present.totalResults).toBe(1);
  });

  it('the owner still sees its user', async () => {
    const list = expectListResponse(await owner.get(filterQuery(`id eq "${victim.id}"`)));
    expect(list.totalResults).toBe(1);
    expect(expectListResponse(await owner.get('/Users')).totalResults).toBe(1);
  });

  it('another tenant’s admin cannot read the owner’s target group members', async () => {
    const res = await request(t.http)
      .get(`/api/v1/groups/${ownerGroupId}/members`)
      .auth(strangerAdmin, { type: 'bearer' });
    expect(res.status).toBe(404);
  });
});
