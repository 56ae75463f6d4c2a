import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  entraAddMembers,
  entraCreateGroup,
  entraMemberProbe,
  entraRemoveMembers,
  entraRename,
} from './fixtures/groups/entra';
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
import {
  oktaAddMembers,
  oktaCreateGroup,
  oktaRemoveAndAdd,
  oktaRemoveMember,
  oktaRename,
  oktaReplaceMembers,
} from './fixtures/groups/okta';
import {
  expectListResponse,
  expectScimError,
  type Json,
  LOCATION_BASE,
  NO_SUCH_ID,
  patchBody,
  scimClient,
  type ScimClient,
  userBody,
} from './fixtures/scim';

type U = { id: string; userName: string };

describe('SCIM /Groups membership PATCH, in every shape identity providers send', () => {
  let t: TestApp;
  let scim: ScimClient;
  let users: U[];
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp();
    const dir = await createScimDirectory(t, 'okta');
    scim = scimClient(t, dir.integration.token);
    users = await insertUsers(t, dir.tenant.id, dir.integration.id, 60, 'membership');
  });
  afterAll(() => t.close());

  /** A group with the given members, made with POST. */
  async function groupWith(members: U[]): Promise<Json> {
    return createGroup(scim, oktaCreateGroup(`Group ${++n}`, oktaMembers(members)));
  }

  /** PATCH; expects 200 and returns the answer's members, which must equal what is stored. */
  async function patch(groupId: string, body: unknown): Promise<string[]> {
    const res = await patchGroup(scim, `/Groups/${groupId}`, body);
    const group = expectGroupResponse(res, 200);
    const stored = await storedMembers(t, groupId);
    expect(((group.members ?? []) as Json[]).map((m) => m.value).sort()).toEqual(stored);
    return stored;
  }

  describe('Okta Push Groups', () => {
    it('adds one member with "$ref": null', async () => {
      const g = await groupWith(users.slice(0, 2));
      expect(await patch(g.id, oktaAddMembers(oktaMembers(users.slice(2, 3))))).toEqual(
        sortedIds(users.slice(0, 3)),
      );
    });

    it('adds many members in one operation', async () => {
      const g = await groupWith([]);
      expect(await patch(g.id, oktaAddMembers(oktaMembers(users.slice(0, 25))))).toEqual(
        sortedIds(users.slice(0, 25)),
      );
    });

    it('removes one member with members[value eq "id"]', async () => {
      const g = await groupWith(users.slice(0, 3));
      expect(await patch(g.id, oktaRemoveMember(users[1].id))).toEqual(sortedIds([users[0], users[2]]));
    });

    it('replaces the members with the whole list', async () => {
      const g = await groupWith(users.slice(0, 3));
      const want = [users[2], users[3], users[4]];
      expect(await patch(g.id, oktaReplaceMembers(oktaMembers(want)))).toEqual(sortedIds(want));
    });

    it('replaces the members with an empty list: none left', async () => {
      const g = await groupWith(users.slice(0, 3));
      expect(await patch(g.id, oktaReplaceMembers([]))).toEqual([]);
    });

    it('removes and adds in one request', async () => {
      const g = await groupWith(users.slice(0, 3));
      const got = await patch(g.id, oktaRemoveAndAdd(users[0].id, oktaMembers(users.slice(5, 7))));
      expect(got).toEqual(sortedIds([users[1], users[2], users[5], users[6]]));
    });

    it("renames with the group's own id in the value; members untouched", async () => {
      const g = await groupWith(users.slice(0, 4));
      expect(await patch(g.id, oktaRename(g.id, `Renamed ${n}`))).toEqual(sortedIds(users.slice(0, 4)));
      expect((await storedGroup(t, g.id))!.name).toBe(`Renamed ${n}`);
    });

    it('the answer lists members with value, display, $ref and type', async () => {
      const g = await groupWith([]);
      const res = await patchGroup(scim, `/Groups/${g.id}`, oktaAddMembers(oktaMembers(users.slice(0, 2))));
      expect(expectGroupResponse(res, 200).members).toEqual(memberView(users.slice(0, 2)));
    });
  });

  describe('reading members', () => {
    it('gives the same members, display names of any text, whether the group is read whole or listed', async () => {
      const names = ['Ann "the" Lee', 'back\\slash', 'Zoë 😀', 'tab\tnew\nline', '</script>'];
      const created: U[] = [];
      for (const [i, displayName] of names.entries()) {
        const res = await scim.post('/Users', { ...userBody(`reading-${i}@example.com`), displayName });
        expect(res.status).toBe(201);
        created.push({ id: res.body.id, userName: res.body.userName });
      }
      const g = await groupWith(created);
      const whole = expectGroupResponse(await scim.get(`/Groups/${g.id}`), 200);
      const listed = expectListResponse(await scim.get(`/Groups?filter=id eq "${g.id}"`)).Resources[0];
      const partial = await scim.get(`/Groups/${g.id}?attributes=members.value,members.display`);
      expect(partial.status).toBe(200);
      const subAttributes = partial.body as Json;
      expect(whole.members).toHaveLength(names.length);
      expect(whole.members).toEqual(listed.members);
      expect(whole.members.map((m: Json) => m.display).sort()).toEqual([...names].sort());
      expect(subAttributes.members).toEqual(
        whole.members.map((m: Json) => ({ value: m.value, display: m.display })),
      );
      // Ordered by id, each in the one shape.
      expect(whole.members.map((m: Json) => m.value)).toEqual(sortedIds(created));
      for (const m of whole.members) {
        expect(Object.keys(m)).toEqual(['value', 'display', '$ref', 'type']);
        expect(m.$ref).toBe(`${LOCATION_BASE}/Users/${m.value}`);
      }
      // A group without members has no members attribute at all.
      const empty = expectGroupResponse(await scim.get(`/Groups/${(await groupWith([])).id}`), 200);
      expect(empty).not.toHaveProperty('members');
    });
  });

  describe('Microsoft Entra ID', () => {
    let group: Json;
    beforeAll(async () => {
      group = expectGroupResponse(await scim.post('/Groups', entraCreateGroup('Entra Members')), 201);
    });

    it('creates, adds with capitalised Add, probes, removes with a value list, renames with Replace', async () => {
      expect(await patch(group.id, entraAddMembers([users[0].id, users[1].id, users[2].id]))).toEqual(
        sortedIds(users.slice(0, 3)),
      );
      expect(expectListResponse(await scim.get(entraMemberProbe(group.id, users[1].id))).totalResults).toBe(
        1,
      );
      expect(await patch(group.id, entraRemoveMembers([users[0].id, users[2].id]))).toEqual([users[1].id]);
      expect(expectListResponse(await scim.get(entraMemberProbe(group.id, users[0].id))).totalResults).toBe(
        0,
      );
      expect(await patch(group.id, entraRename('Entra Renamed'))).toEqual([users[1].id]);
      expect((await storedGroup(t, group.id))!.name).toBe('Entra Renamed');
    });

    it('removes with path members and one value', async () => {
      const g = await groupWith(users.slice(0, 2));
      expect(await patch(g.id, entraRemoveMembers([users[0].id]))).toEqual([users[1].id]);
    });

    it('accepts capitalised Replace of members', async () => {
      const g = await groupWith(users.slice(0, 2));
      const body = patchBody({ op: 'Replace', path: 'members', value: [{ value: users[9].id }] });
      expect(await patch(g.id, body)).toEqual([users[9].id]);
    });
  });

  describe('the other shapes', () => {
    it('removes all members with path members and no value', async () => {
      const g = await groupWith(users.slice(0, 5));
      expect(await patch(g.id, patchBody({ op: 'remove', path: 'members' }))).toEqual([]);
    });

    it('removes several with members[value eq "a" or value eq "b"]', async () => {
      const g = await groupWith(users.slice(0, 4));
      const body = patchBody({
        op: 'remove',
        path: `members[value eq "${users[0].id}" or value eq "${users[3].id}"]`,
      });
      expect(await patch(g.id, body)).toEqual(sortedIds(users.slice(1, 3)));
    });

    it('adds with a path-less add of { members: [...] }', async () => {
      const g = await groupWith(users.slice(0, 1));
      const body = patchBody({ op: 'add', value: { members: [{ value: users[1].id }] } });
      expect(await patch(g.id, body)).toEqual(sortedIds(users.slice(0, 2)));
    });

    it('replaces with a path-less replace of { displayName, members } (whole list)', async () => {
      const g = await groupWith(users.slice(0, 3));
      const body = patchBody({
        op: 'replace',
        value: { id: g.id, displayName: `Pathless ${n}`, members: [{ value: users[7].id }] },
      });
      expect(await patch(g.id, body)).toEqual([users[7].id]);
      expect((await storedGroup(t, g.id))!.name).toBe(`Pathless ${n}`);
    });

    it('applies operations in order: remove all, then add', async () => {
      const g = await groupWith(users.slice(0, 3));
      const body = patchBody(
        { op: 'remove', path: 'members' },
        { op: 'add', path: 'members', value: [{ value: users[1].id }, { value: users[8].id }] },
      );
      expect(await patch(g.id, body)).toEqual(sortedIds([users[1], users[8]]));
    });

    it('applies operations in order: add, then remove of the same member', async () => {
      const g = await groupWith(users.slice(0, 1));
      const body = patchBody(
        { op: 'add', path: 'members', value: [{ value: users[4].id }] },
        { op: 'remove', path: `members[value eq "${users[4].id}"]` },
      );
      expect(await patch(g.id, body)).toEqual([users[0].id]);
    });

    it('re-adding a member is not an error and changes nothing (not even the version)', async () => {
      const g = await groupWith(users.slice(0, 2));
      expect(await patch(g.id, oktaAddMembers(oktaMembers(users.slice(0, 2))))).toEqual(
        sortedIds(users.slice(0, 2)),
      );
      expect(await patch(g.id, oktaReplaceMembers(oktaMembers(users.slice(0, 2))))).toEqual(
        sortedIds(users.slice(0, 2)),
      );
      expect((await storedGroup(t, g.id))!.version).toBe(1);
    });

    it('removing a non-member (or an unknown id) is not an error and changes nothing', async () => {
      const g = await groupWith(users.slice(0, 2));
      expect(await patch(g.id, oktaRemoveMember(users[30].id))).toEqual(sortedIds(users.slice(0, 2)));
      expect(await patch(g.id, oktaRemoveMember(NO_SUCH_ID))).toEqual(sortedIds(users.slice(0, 2)));
      expect(await patch(g.id, entraRemoveMembers([users[31].id, NO_SUCH_ID]))).toEqual(
        sortedIds(users.slice(0, 2)),
      );
      expect((await storedGroup(t, g.id))!.version).toBe(1);
      const emptied = await groupWith([]);
      expect(await patch(emptied.id, patchBody({ op: 'remove', path: 'members' }))).toEqual([]);
      expect((await storedGroup(t, emptied.id))!.version).toBe(1);
    });

    it('member ids are matched ignoring case', async () => {
      const g = await groupWith(users.slice(0, 2));
      expect(await patch(g.id, oktaRemoveMember(users[0].id.toUpperCase()))).toEqual([users[1].id]);
      expect(await patch(g.id, entraAddMembers([users[0].id.toUpperCase()]))).toEqual(
        sortedIds(users.slice(0, 2)),
      );
    });

    it('refuses a members filter other than value eq: 400 invalidFilter, nothing changed', async () => {
      const g = await groupWith(users.slice(0, 2));
      const res = await patchGroup(
        scim,
        `/Groups/${g.id}`,
        patchBody({ op: 'remove', path: `members[display eq "x"]` }),
      );
      expectScimError(res, 400, 'invalidFilter');
      expect(await storedMembers(t, g.id)).toEqual(sortedIds(users.slice(0, 2)));
    });

    it('refuses a member without a value: 400 invalidValue, nothing changed', async () => {
      const g = await groupWith(users.slice(0, 2));
      const res = await patchGroup(
        scim,
        `/Groups/${g.id}`,
        patchBody({ op: 'add', path: 'members', value: [{ display: 'x' }] }),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(await storedMembers(t, g.id)).toEqual(sortedIds(users.slice(0, 2)));
    });

    it('an unknown member in a later operation undoes the earlier ones', async () => {
      const g = await groupWith(users.slice(0, 3));
      const res = await patchGroup(
        scim,
        `/Groups/${g.id}`,
        patchBody(
          { op: 'remove', path: 'members' },
          { op: 'add', path: 'members', value: [{ value: users[5].id }, { value: NO_SUCH_ID }] },
        ),
      );
      expectScimError(res, 400, 'invalidValue');
      expect(await storedMembers(t, g.id)).toEqual(sortedIds(users.slice(0, 3)));
      expect((await storedGroup(t, g.id))!.version).toBe(1);
    });

    it('a membership change bumps the version (ETag)', async () => {
      const g = await groupWith(users.slice(0, 1));
      const res = await patchGroup(scim, `/Groups/${g.id}`, oktaAddMembers(oktaMembers(users.slice(1, 2))));
      expect(res.headers.etag).toBe('W/"2"');
      expect((await storedGroup(t, g.id))!.version).toBe(2);
    });
  });

  describe('removing one member removes exactly that member', () => {
    it('from a group of 50, one at a time, through both shapes', async () => {
      const fifty = users.slice(0, 50);
      const g = await groupWith(fifty);
      expect(await storedMembers(t, g.id)).toEqual(sortedIds(fifty));
      let left = [...fifty];
      for (const victim of [fifty[0], fifty[25], fifty[49]]) {
        left = left.filter((u) => u.id !== victim.id);
        expect(await patch(g.id, oktaRemoveMember(victim.id))).toEqual(sortedIds(left));
      }
      left = left.filter((u) => u.id !== fifty[10].id);
      expect(await patch(g.id, entraRemoveMembers([fifty[10].id]))).toEqual(sortedIds(left));
      expect(left).toHaveLength(46);
      // Other groups with the same members are untouched.
      const other = await groupWith(fifty.slice(0, 5));
      await patch(g.id, oktaRemoveMember(fifty[1].id));
      expect(await storedMembers(t, other.id)).toEqual(sortedIds(fifty.slice(0, 5)));
    });
  });
});
