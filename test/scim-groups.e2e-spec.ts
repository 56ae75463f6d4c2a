import request from 'supertest';
import {
  createIntegration,
  createScimDirectory,
  createTestApp,
  type TestApp,
  type TestTenant,
} from '@rollcall/testing';
import { ENTRA_GROUP_SCHEMA, entraCreateGroup, entraMemberProbe } from './fixtures/groups/entra';
import {
  createGroup,
  expectGroupResponse,
  insertUsers,
  memberView,
  oktaMembers,
  sortedIds,
  storedGroup,
  storedMembers,
  patchGroup,
} from './fixtures/groups/helpers';
import { GROUP_SCHEMA, oktaCreateGroup, oktaRename, oktaReplaceMembers } from './fixtures/groups/okta';
import {
  createUser,
  expectListResponse,
  expectScimError,
  type Json,
  LOCATION_BASE,
  NO_SUCH_ID,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
} from './fixtures/scim';

function groupsQuery(filter: string, extra = ''): string {
  return `/Groups?filter=${encodeURIComponent(filter)}${extra}`;
}

describe('SCIM /Groups', () => {
  let t: TestApp;
  let scim: ScimClient;
  let tenant: TestTenant;
  let integration: { id: string; token: string; groupId: string };
  let users: { id: string; userName: string; displayName: string }[];

  beforeAll(async () => {
    t = await createTestApp();
    const dir = await createScimDirectory(t, 'okta');
    tenant = dir.tenant;
    integration = dir.integration;
    scim = scimClient(t, integration.token);
    users = [];
    for (let i = 0; i < 4; i++) {
      const u = await createUser(scim, `member${i}@groups.test`, { displayName: `Member ${i}` });
      users.push({ id: u.id, userName: u.userName, displayName: u.displayName });
    }
  });
  afterAll(() => t.close());

  const view = (list: typeof users) => memberView(list);

  describe('POST /Groups', () => {
    it('creates an Okta group with members: 201, Location, ETag, members with value/display/$ref/type', async () => {
      const res = await scim.post('/Groups', oktaCreateGroup('Engineering', oktaMembers(users.slice(0, 2))));
      const body = expectGroupResponse(res, 201);
      expect(body).toEqual({
        schemas: [GROUP_SCHEMA],
        id: body.id,
        displayName: 'Engineering',
        members: view(users.slice(0, 2)),
        meta: expect.any(Object),
      });
      expect(body.meta.version).toBe('W/"1"');
      expect(await storedGroup(t, body.id)).toMatchObject({
        tenant_id: tenant.id,
        integration_id: integration.id,
        name: 'Engineering',
        version: 1,
      });
      expect(await storedMembers(t, body.id)).toEqual(sortedIds(users.slice(0, 2)));

      const read = expectGroupResponse(await scim.get(`/Groups/${body.id}`), 200);
      expect(read).toEqual(body);
    });

    it('creates an Entra group without members: no members key, externalId and the Entra schema kept', async () => {
      const body = expectGroupResponse(
        await scim.post('/Groups', entraCreateGroup('Entra Sales', 'ext-sales')),
        201,
      );
      expect(body).toEqual({
        schemas: [GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
        id: body.id,
        externalId: 'ext-sales',
        displayName: 'Entra Sales',
        meta: expect.any(Object),
      });
      expect(await storedGroup(t, body.id)).toMatchObject({
        external_id: 'ext-sales',
        integration_id: integration.id,
      });
      expect(await storedMembers(t, body.id)).toEqual([]);
    });

    it('refuses a displayName taken in this integration in another case: 409 uniqueness, nothing stored', async () => {
      await createGroup(scim, oktaCreateGroup('Unique Name'));
      const res = await scim.post('/Groups', oktaCreateGroup('UNIQUE name', oktaMembers(users.slice(0, 1))));
      expectScimError(res, 409, 'uniqueness');
      const rows = await t.sql(
        `SELECT id FROM groups WHERE integration_id = $1 AND lower(name) = 'unique name'`,
        [integration.id],
      );
      expect(rows).toHaveLength(1);
    });

    it('allows the same displayName in another integration of the tenant', async () => {
      await createGroup(scim, oktaCreateGroup('Shared Name'));
      const other = await createIntegration(t, tenant, { provider: 'entra' });
      const res = await scimClient(t, other.token).post('/Groups', entraCreateGroup('shared name'));
      const body = expectGroupResponse(res, 201);
      expect((await storedGroup(t, body.id))!.integration_id).toBe(other.id);
    });

    it('refuses a missing displayName: 400 invalidValue', async () => {
      expectScimError(await scim.post('/Groups', { schemas: [GROUP_SCHEMA] }), 400, 'invalidValue');
    });

    it('refuses an unknown member id: 400 invalidValue, no group created', async () => {
      const res = await scim.post(
        '/Groups',
        oktaCreateGroup('Ghosts', [{ value: NO_SUCH_ID, display: 'x' }]),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).toContain(NO_SUCH_ID);
      expect(
        await t.sql(`SELECT id FROM groups WHERE integration_id = $1 AND name = 'Ghosts'`, [integration.id]),
      ).toEqual([]);
    });

    it('refuses a member id that is not a UUID: 400 invalidValue', async () => {
      const res = await scim.post('/Groups', oktaCreateGroup('Not uuid', [{ value: 'bob', display: 'bob' }]));
      expectScimError(res, 400, 'invalidValue');
    });

    it('refuses a group as a member (groups do not nest): 400 invalidValue', async () => {
      const inner = await createGroup(scim, oktaCreateGroup('Inner'));
      const res = await scim.post(
        '/Groups',
        oktaCreateGroup('Outer', [{ value: inner.id, display: 'Inner' }]),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(
        await t.sql(`SELECT id FROM groups WHERE integration_id = $1 AND name = 'Outer'`, [integration.id]),
      ).toEqual([]);
    });

    it('refuses the target group as a member: 400 invalidValue', async () => {
      const res = await scim.post(
        '/Groups',
        oktaCreateGroup('Target in', [{ value: integration.groupId, display: 'T' }]),
      );
      expectScimError(res, 400, 'invalidValue');
    });

    it('accepts members as a single object, plain strings, with null elements, under any key casing', async () => {
      const one = await createGroup(scim, {
        schemas: [GROUP_SCHEMA],
        displayName: 'Single',
        Members: { VALUE: users[0].id },
      });
      expect(await storedMembers(t, one.id)).toEqual([users[0].id]);
      const strings = await createGroup(scim, {
        schemas: [GROUP_SCHEMA],
        displayName: 'Strings',
        members: [users[1].id, null, users[1].id, { value: users[2].id, type: 'User', $ref: null }],
      });
      expect(await storedMembers(t, strings.id)).toEqual(sortedIds(users.slice(1, 3)));
      const none = await createGroup(scim, {
        schemas: [GROUP_SCHEMA],
        displayName: 'Null members',
        members: null,
      });
      expect(none).not.toHaveProperty('members');
    });

    it('refuses a member without a value: 400 invalidValue, nothing stored', async () => {
      const res = await scim.post('/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'No value',
        members: [{ display: 'x' }],
      });
      expectScimError(res, 400, 'invalidValue');
      expect(
        await t.sql(`SELECT id FROM groups WHERE integration_id = $1 AND name = 'No value'`, [
          integration.id,
        ]),
      ).toEqual([]);
    });

    it('honours attributes on the answer', async () => {
      const res = await scim.post(
        '/Groups?attributes=displayName',
        oktaCreateGroup('Projected', oktaMembers(users)),
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ schemas: [GROUP_SCHEMA], id: expect.any(String), displayName: 'Projected' });
      expect(res.headers.etag).toBe('W/"1"');
      expect(res.headers.location).toBe(`${LOCATION_BASE}/Groups/${res.body.id}`);
      expect(await storedMembers(t, res.body.id)).toEqual(sortedIds(users));
    });
  });

  describe('GET', () => {
    let group: Json;
    let empty: Json;
    beforeAll(async () => {
      group = await createGroup(scim, {
        ...oktaCreateGroup('Readers', oktaMembers(users.slice(1, 3))),
        externalId: 'ext-readers',
      });
      empty = await createGroup(scim, oktaCreateGroup('Nobody Here'));
    });

    it('reads a group by id; members in full', async () => {
      const body = expectGroupResponse(await scim.get(`/Groups/${group.id}`), 200);
      expect(body.members).toEqual(view(users.slice(1, 3)));
      expect(body.externalId).toBe('ext-readers');
    });

    it('reads a group without members: excludedAttributes=members, attributes=displayName', async () => {
      const ex = expectGroupResponse(await scim.get(`/Groups/${group.id}?excludedAttributes=members`), 200);
      expect(ex).not.toHaveProperty('members');
      expect(ex.displayName).toBe('Readers');
      const at = await scim.get(`/Groups/${group.id}?attributes=displayName`);
      expect(at.status).toBe(200);
      expect(at.headers.etag).toBe('W/"1"');
      expect(at.body).toEqual({ schemas: [GROUP_SCHEMA], id: group.id, displayName: 'Readers' });
    });

    it('answers 404 for an unknown id, a non-UUID, and the target group (not a SCIM group)', async () => {
      expectScimError(await scim.get(`/Groups/${NO_SUCH_ID}`), 404);
      expectScimError(await scim.get('/Groups/not-a-uuid'), 404);
      expectScimError(await scim.get(`/Groups/${integration.groupId}`), 404);
    });

    it('lists groups with a ListResponse, paginated, never the target group', async () => {
      const all = expectListResponse(await scim.get('/Groups?count=1000'));
      expect(all.totalResults).toBe(all.Resources.length);
      const ids = all.Resources.map((g) => g.id);
      expect(ids).toContain(group.id);
      expect(ids).not.toContain(integration.groupId);
      const page = expectListResponse(await scim.get('/Groups?startIndex=2&count=2'));
      expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 });
      expect(page.Resources.map((g) => g.id)).toEqual(ids.slice(1, 3));
      const none = expectListResponse(await scim.get('/Groups?count=0'));
      expect(none).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0 });
    });

    it('filters by displayName eq ignoring case', async () => {
      const list = expectListResponse(await scim.get(groupsQuery('displayName eq "READERS"')));
      expect(list.totalResults).toBe(1);
      expect(list.Resources[0]).toMatchObject({ id: group.id, displayName: 'Readers' });
      expect(list.Resources[0].members).toEqual(view(users.slice(1, 3)));
      const miss = expectListResponse(await scim.get(groupsQuery('displayName eq "nope"')));
      expect(miss).toMatchObject({ totalResults: 0, Resources: [] });
    });

    it('filters by displayName with excludedAttributes=members: no members key', async () => {
      const list = expectListResponse(
        await scim.get(groupsQuery('displayName eq "Readers"', '&excludedAttributes=members')),
      );
      expect(list.totalResults).toBe(1);
      expect(list.Resources[0]).not.toHaveProperty('members');
    });

    it('filters by externalId eq', async () => {
      const list = expectListResponse(await scim.get(groupsQuery('externalId eq "ext-readers"')));
      expect(list.Resources.map((g) => g.id)).toEqual([group.id]);
    });

    it('filters by members[value eq "…"] and members.value', async () => {
      const list = expectListResponse(await scim.get(groupsQuery(`members[value eq "${users[2].id}"]`)));
      const ids = list.Resources.map((g) => g.id);
      expect(ids).toContain(group.id);
      expect(ids).not.toContain(empty.id);
      const none = expectListResponse(await scim.get(groupsQuery(`members[value eq "${NO_SUCH_ID}"]`)));
      expect(none.totalResults).toBe(0);
    });

    it("answers Entra's membership probe: the group when a member, an empty list when not", async () => {
      const hit = expectListResponse(await scim.get(entraMemberProbe(group.id, users[1].id)));
      expect(hit.totalResults).toBe(1);
      expect(hit.Resources[0].id).toBe(group.id);
      expect(hit.Resources[0]).not.toHaveProperty('members');
      const miss = expectListResponse(await scim.get(entraMemberProbe(group.id, users[0].id)));
      expect(miss).toMatchObject({ totalResults: 0, Resources: [] });
      const emptyGroup = expectListResponse(await scim.get(entraMemberProbe(empty.id, users[1].id)));
      expect(emptyGroup.totalResults).toBe(0);
    });

    it('answers a filter it cannot parse with 400 invalidFilter', async () => {
      expectScimError(await scim.get(groupsQuery('displayName eq')), 400, 'invalidFilter');
    });

    it('searches with POST /Groups/.search', async () => {
      const res = await scim.post('/Groups/.search', {
        schemas: [SEARCH_REQUEST],
        filter: 'displayName eq "readers"',
        excludedAttributes: ['members'],
        startIndex: 1,
        count: 10,
      });
      const list = expectListResponse(res);
      expect(list.totalResults).toBe(1);
      expect(list.Resources[0].id).toBe(group.id);
      expect(list.Resources[0]).not.toHaveProperty('members');
    });
  });

  describe('PUT /Groups/:id', () => {
    it('replaces the group, members included; members left out means none', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Put Me', oktaMembers(users.slice(0, 2))));
      const res = await scim.put(`/Groups/${group.id}`, {
        ...oktaCreateGroup('Put Renamed', oktaMembers(users.slice(2, 4))),
        id: group.id,
        externalId: 'ext-put',
      });
      const body = expectGroupResponse(res, 200);
      expect(body).toMatchObject({
        displayName: 'Put Renamed',
        externalId: 'ext-put',
        members: view(users.slice(2, 4)),
      });
      expect(body.meta.version).toBe('W/"2"');
      expect(await storedMembers(t, group.id)).toEqual(sortedIds(users.slice(2, 4)));
      expect(await storedGroup(t, group.id)).toMatchObject({
        name: 'Put Renamed',
        external_id: 'ext-put',
        version: 2,
      });

      const cleared = expectGroupResponse(
        await scim.put(`/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Put Renamed' }),
        200,
      );
      expect(cleared).not.toHaveProperty('members');
      expect(await storedMembers(t, group.id)).toEqual([]);
    });

    it('refuses an unknown member and changes nothing', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Put Keep', oktaMembers(users.slice(0, 1))));
      const res = await scim.put(`/Groups/${group.id}`, {
        ...oktaCreateGroup('Put Keep 2', [
          ...oktaMembers(users.slice(1, 2)),
          { value: NO_SUCH_ID, display: 'x' },
        ]),
      });
      expectScimError(res, 400, 'invalidValue');
      expect(await storedMembers(t, group.id)).toEqual(sortedIds(users.slice(0, 1)));
      expect(await storedGroup(t, group.id)).toMatchObject({ name: 'Put Keep', version: 1 });
    });

    it('refuses a name taken by another group: 409 uniqueness', async () => {
      await createGroup(scim, oktaCreateGroup('Put Taken'));
      const group = await createGroup(scim, oktaCreateGroup('Put Other'));
      expectScimError(await scim.put(`/Groups/${group.id}`, oktaCreateGroup('put taken')), 409, 'uniqueness');
      expect((await storedGroup(t, group.id))!.name).toBe('Put Other');
    });

    it('honours If-Match: a stale ETag is a 412, the current one works', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Put Etag'));
      const stale = await scim
        .put(`/Groups/${group.id}`, oktaCreateGroup('Put Etag 2'))
        .set('If-Match', 'W/"9"');
      expectScimError(stale, 412);
      const ok = await scim
        .put(`/Groups/${group.id}`, oktaCreateGroup('Put Etag 2'))
        .set('If-Match', 'W/"1"');
      expectGroupResponse(ok, 200);
    });

    it('answers 404 for an unknown group', async () => {
      expectScimError(await scim.put(`/Groups/${NO_SUCH_ID}`, oktaCreateGroup('x')), 404);
    });
  });

  describe('PATCH /Groups/:id', () => {
    it("renames with Okta's value object carrying the group's own id; members untouched", async () => {
      const group = await createGroup(scim, oktaCreateGroup('Okta Old', oktaMembers(users.slice(0, 3))));
      const res = await patchGroup(scim, `/Groups/${group.id}`, oktaRename(group.id, 'Okta New'));
      const body = expectGroupResponse(res, 200);
      expect(body.displayName).toBe('Okta New');
      expect(body.meta.version).toBe('W/"2"');
      expect(body.members).toEqual(view(users.slice(0, 3)));
      expect(await storedGroup(t, group.id)).toMatchObject({ name: 'Okta New', version: 2 });
      expect(await storedMembers(t, group.id)).toEqual(sortedIds(users.slice(0, 3)));
    });

    it('refuses a rename to a taken name: 409 uniqueness', async () => {
      await createGroup(scim, oktaCreateGroup('Patch Taken'));
      const group = await createGroup(scim, oktaCreateGroup('Patch Mine'));
      expectScimError(
        await patchGroup(scim, `/Groups/${group.id}`, oktaRename(group.id, 'PATCH TAKEN')),
        409,
        'uniqueness',
      );
      expect((await storedGroup(t, group.id))!.name).toBe('Patch Mine');
    });

    it('refuses a rename carrying another id: 400 mutability', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Patch Id'));
      expectScimError(
        await patchGroup(scim, `/Groups/${group.id}`, oktaRename(NO_SUCH_ID, 'x')),
        400,
        'mutability',
      );
    });

    it('refuses an unknown member and changes nothing (not even the other operations)', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Patch Unknown', oktaMembers(users.slice(0, 1))));
      const res = await patchGroup(
        scim,
        `/Groups/${group.id}`,
        patchBody(
          { op: 'replace', path: 'displayName', value: 'Patch Unknown 2' },
          { op: 'add', path: 'members', value: [{ value: users[1].id }, { value: NO_SUCH_ID }] },
        ),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(await storedMembers(t, group.id)).toEqual(sortedIds(users.slice(0, 1)));
      expect(await storedGroup(t, group.id)).toMatchObject({ name: 'Patch Unknown', version: 1 });
    });

    it('refuses a group as a member: 400 invalidValue', async () => {
      const other = await createGroup(scim, oktaCreateGroup('Patch Nest Inner'));
      const group = await createGroup(scim, oktaCreateGroup('Patch Nest Outer'));
      const res = await patchGroup(
        scim,
        `/Groups/${group.id}`,
        oktaReplaceMembers([{ value: other.id, display: 'g' }]),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(await storedMembers(t, group.id)).toEqual([]);
    });

    it('answers a PATCH 204 with the new ETag, or 200 with the group when attributes ask for it', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Patch Answer'));
      const quiet = await scim.patch(`/Groups/${group.id}`, oktaRename(group.id, 'Patch Answer 2'));
      expect(quiet.status).toBe(204);
      expect(quiet.text).toBe('');
      expect(quiet.headers.etag).toBe('W/"2"');
      const shown = await scim.patch(
        `/Groups/${group.id}?excludedAttributes=members`,
        oktaRename(group.id, 'Patch Answer 3'),
      );
      const body = expectGroupResponse(shown, 200);
      expect(body).toMatchObject({ id: group.id, displayName: 'Patch Answer 3' });
      expect(body).not.toHaveProperty('members');
      expect(shown.headers.etag).toBe('W/"3"');
    });

    it('refuses a malformed PATCH: 400 invalidSyntax', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Patch Bad'));
      expectScimError(
        await patchGroup(scim, `/Groups/${group.id}`, { Operations: [] }),
        400,
        'invalidSyntax',
      );
    });

    it('honours If-Match (412 when stale) and answers 404 for an unknown group', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Patch Etag'));
      const stale = await scim
        .patch(`/Groups/${group.id}`, oktaRename(group.id, 'y'))
        .set('If-Match', 'W/"5"');
      expectScimError(stale, 412);
      expectScimError(await patchGroup(scim, `/Groups/${NO_SUCH_ID}`, oktaRename(NO_SUCH_ID, 'z')), 404);
    });
  });

  describe('DELETE /Groups/:id', () => {
    it('deletes a group: 204 then 404; its member rows go, its users remain', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Delete Me', oktaMembers(users.slice(0, 3))));
      const res = await scim.delete(`/Groups/${group.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectScimError(await scim.get(`/Groups/${group.id}`), 404);
      expectScimError(await scim.delete(`/Groups/${group.id}`), 404);
      expect(await storedGroup(t, group.id)).toBeUndefined();
      expect(await storedMembers(t, group.id)).toEqual([]);
      for (const u of users.slice(0, 3)) expect((await scim.get(`/Users/${u.id}`)).status).toBe(200);
      // They stay in the integration's target group.
      expect(await storedMembers(t, integration.groupId)).toEqual(expect.arrayContaining(sortedIds(users)));
    });

    it('honours If-Match: 412 when stale (group kept), 204 when current', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Delete Etag'));
      expectScimError(await scim.delete(`/Groups/${group.id}`).set('If-Match', 'W/"7"'), 412);
      expect(await storedGroup(t, group.id)).toBeDefined();
      expect((await scim.delete(`/Groups/${group.id}`).set('If-Match', 'W/"1"')).status).toBe(204);
    });
  });

  describe("a user's groups", () => {
    it('GET /Users/:id lists exactly its pushed groups, never the target group', async () => {
      const [u] = await insertUsers(t, tenant.id, integration.id, 1, 'groups-of');
      const a = await createGroup(
        scim,
        oktaCreateGroup('Groups Of A', [{ value: u.id, display: u.userName }]),
      );
      const b = await createGroup(
        scim,
        oktaCreateGroup('Groups Of B', [{ value: u.id, display: u.userName }]),
      );
      await createGroup(scim, oktaCreateGroup('Groups Of C'));
      const res = await scim.get(`/Users/${u.id}`).expect(200);
      const groups = (res.body.groups as Json[]).map((g) => g.value).sort();
      expect(groups).toEqual([a.id, b.id].sort());
      expect(res.body.groups).toEqual(
        expect.arrayContaining([expect.objectContaining({ value: a.id, display: 'Groups Of A' })]),
      );
    });
  });

  describe('pushed groups in the settings API', () => {
    const admin = (r: request.Test) => r.auth(tenant.adminToken, { type: 'bearer' });
    let pushed: Json;
    let integrationName: string;

    beforeAll(async () => {
      pushed = await createGroup(scim, oktaCreateGroup('Pushed Sales', oktaMembers(users.slice(0, 2))));
      const details = await admin(request(t.http).get(`/api/v1/scim-integrations/${integration.id}`)).expect(
        200,
      );
      integrationName = details.body.name;
    });

    it('lists pushed groups marked with the integration that owns them; admin groups are not marked', async () => {
      const res = await admin(request(t.http).get('/api/v1/groups?q=pushed%20sales')).expect(200);
      expect(res.body.items).toEqual([
        expect.objectContaining({
          id: pushed.id,
          name: 'Pushed Sales',
          ownerIntegration: { id: integration.id, name: integrationName },
          memberCount: 2,
        }),
      ]);
      const all = await admin(request(t.http).get('/api/v1/groups?pageSize=200')).expect(200);
      const target = (all.body.items as Json[]).find((g) => g.id === integration.groupId);
      expect(target).toMatchObject({ ownerIntegration: null });
    });

    it('lets admins read a pushed group and its members', async () => {
      const res = await admin(request(t.http).get(`/api/v1/groups/${pushed.id}`)).expect(200);
      expect(res.body).toMatchObject({
        id: pushed.id,
        ownerIntegration: { id: integration.id },
        memberCount: 2,
      });
      const members = await admin(request(t.http).get(`/api/v1/groups/${pushed.id}/members`)).expect(200);
      expect((members.body.items as Json[]).map((u) => u.id).sort()).toEqual(sortedIds(users.slice(0, 2)));
    });

    it('refuses to rename or delete a pushed group (409); it stays as it was', async () => {
      const rename = await admin(request(t.http).patch(`/api/v1/groups/${pushed.id}`)).send({
        name: 'Hijacked',
      });
      expect(rename.status).toBe(409);
      const del = await admin(request(t.http).delete(`/api/v1/groups/${pushed.id}`));
      expect(del.status).toBe(409);
      expect(await storedGroup(t, pushed.id)).toMatchObject({ name: 'Pushed Sales' });
      expect(await storedMembers(t, pushed.id)).toEqual(sortedIds(users.slice(0, 2)));
    });

    it('the target group keeps every provisioned user whatever the pushed groups say', async () => {
      const before = await storedMembers(t, integration.groupId);
      expect(before).toEqual(expect.arrayContaining(sortedIds(users)));
      expect((await patchGroup(scim, `/Groups/${pushed.id}`, oktaReplaceMembers([]))).status).toBe(200);
      expect(
        (await patchGroup(scim, `/Groups/${pushed.id}`, patchBody({ op: 'remove', path: 'members' }))).status,
      ).toBe(200);
      const doomed = await createGroup(scim, oktaCreateGroup('Doomed', oktaMembers(users)));
      await scim
        .patch(
          `/Groups/${doomed.id}`,
          patchBody({ op: 'remove', path: `members[value eq "${users[0].id}"]` }),
        )
        .expect(204);
      await scim.delete(`/Groups/${doomed.id}`).expect(204);
      expect(await storedMembers(t, integration.groupId)).toEqual(before);
    });

    it("counts the integration's pushed groups in its details", async () => {
      const [{ n }] = await t.sql<{ n: string }>(
        `SELECT count(*) AS n FROM groups WHERE integration_id = $1`,
        [integration.id],
      );
      const details = await admin(request(t.http).get(`/api/v1/scim-integrations/${integration.id}`)).expect(
        200,
      );
      expect(details.body.groupCount).toBe(Number(n));
      expect(details.body.groupCount).toBeGreaterThan(0);
      const before = details.body.groupCount;
      const g = await createGroup(scim, oktaCreateGroup('Counted'));
      const after = await admin(request(t.http).get(`/api/v1/scim-integrations/${integration.id}`)).expect(
        200,
      );
      expect(after.body.groupCount).toBe(before + 1);
      await scim.delete(`/Groups/${g.id}`).expect(204);
    });
  });

  describe('isolation between integrations and tenants', () => {
    let otherScim: ScimClient;
    let otherIntegration: { id: string; token: string; groupId: string };
    let foreignGroup: Json;
    let foreignUser: Json;
    let mine: Json;

    beforeAll(async () => {
      // Another integration of the same tenant: its own directory.
      otherIntegration = await createIntegration(t, tenant, { provider: 'okta' });
      otherScim = scimClient(t, otherIntegration.token);
      foreignUser = await createUser(otherScim, 'foreign@groups.test');
      foreignGroup = await createGroup(
        otherScim,
        oktaCreateGroup('Foreign Group', [{ value: foreignUser.id, display: 'f' }]),
      );
      mine = await createGroup(scim, oktaCreateGroup('Mine', oktaMembers(users.slice(0, 1))));
    });

    it("can't read, list, filter, patch, put or delete another integration's group (404)", async () => {
      expectScimError(await scim.get(`/Groups/${foreignGroup.id}`), 404);
      const all = expectListResponse(await scim.get('/Groups?count=1000'));
      expect(all.Resources.map((g) => g.id)).not.toContain(foreignGroup.id);
      const byName = expectListResponse(await scim.get(groupsQuery('displayName eq "Foreign Group"')));
      expect(byName.totalResults).toBe(0);
      const byMember = expectListResponse(
        await scim.get(groupsQuery(`members[value eq "${foreignUser.id}"]`)),
      );
      expect(byMember.totalResults).toBe(0);
      const probe = expectListResponse(await scim.get(entraMemberProbe(foreignGroup.id, foreignUser.id)));
      expect(probe.totalResults).toBe(0);
      expectScimError(await patchGroup(scim, `/Groups/${foreignGroup.id}`, oktaReplaceMembers([])), 404);
      expectScimError(await scim.put(`/Groups/${foreignGroup.id}`, oktaCreateGroup('Stolen')), 404);
      expectScimError(await scim.delete(`/Groups/${foreignGroup.id}`), 404);
      expect(await storedGroup(t, foreignGroup.id)).toMatchObject({ name: 'Foreign Group' });
      expect(await storedMembers(t, foreignGroup.id)).toEqual([foreignUser.id]);
    });

    it("can't add another integration's user as a member: 400 invalidValue (POST, PUT, PATCH)", async () => {
      const member = [{ value: foreignUser.id, display: 'f' }];
      expectScimError(
        await scim.post('/Groups', oktaCreateGroup('With Foreign', member)),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.put(`/Groups/${mine.id}`, oktaCreateGroup('Mine', member)),
        400,
        'invalidValue',
      );
      expectScimError(
        await patchGroup(
          scim,
          `/Groups/${mine.id}`,
          patchBody({ op: 'add', path: 'members', value: member }),
        ),
        400,
        'invalidValue',
      );
      expectScimError(
        await patchGroup(scim, `/Groups/${mine.id}`, oktaReplaceMembers(member)),
        400,
        'invalidValue',
      );
      expect(await storedMembers(t, mine.id)).toEqual(sortedIds(users.slice(0, 1)));
    });

    it("another tenant's token sees none of it", async () => {
      const stranger = await createScimDirectory(t, 'entra');
      const s = scimClient(t, stranger.integration.token);
      expectScimError(await s.get(`/Groups/${mine.id}`), 404);
      expect(expectListResponse(await s.get('/Groups')).totalResults).toBe(0);
      expectScimError(await s.delete(`/Groups/${mine.id}`), 404);
      expectScimError(
        await s.post('/Groups', oktaCreateGroup('Theirs', oktaMembers(users.slice(0, 1)))),
        400,
        'invalidValue',
      );
    });

    it("a removal naming another integration's user leaves that user's memberships alone", async () => {
      const res = await patchGroup(
        scim,
        `/Groups/${mine.id}`,
        patchBody({ op: 'remove', path: `members[value eq "${foreignUser.id}"]` }),
      );
      expect(res.status).toBe(200);
      expect(await storedMembers(t, foreignGroup.id)).toEqual([foreignUser.id]);
    });

    it('answers 401 without a token', async () => {
      const res = await request(t.http).get('/scim/v2/Groups');
      expectScimError(res, 401);
    });
  });
});
