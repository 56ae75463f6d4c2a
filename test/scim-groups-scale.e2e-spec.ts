import { Client } from 'pg';
import { createScimDirectory, createTestApp, testDatabaseUrl, type TestApp } from '@rollcall/testing';
import { entraMemberProbe } from './fixtures/groups/entra';
import {
  createGroup,
  expectGroupResponse,
  insertUsers,
  oktaMembers,
  sortedIds,
  storedMembers,
} from './fixtures/groups/helpers';
import {
  oktaAddMembers,
  oktaCreateGroup,
  oktaRemoveMember,
  oktaReplaceMembers,
} from './fixtures/groups/okta';
import { expectListResponse, type Json, scimClient, type ScimClient, SEARCH_REQUEST } from './fixtures/scim';

const N = 3000;
const BATCH = 100;

/**
 * A large group (several thousand members, CI-sized): batches of members are added, the group is read whole,
 * read without members, and one member removed — with SQL row and table locks held by another connection
 * to prove which statements never touch the other members.
 */
describe('SCIM /Groups at scale', () => {
  let t: TestApp;
  let scim: ScimClient;
  let tenantId: string;
  let integrationId: string;
  let users: { id: string; userName: string }[];
  let group: Json;
  let locker: Client;

  beforeAll(async () => {
    t = await createTestApp();
    const dir = await createScimDirectory(t, 'okta');
    tenantId = dir.tenant.id;
    integrationId = dir.integration.id;
    scim = scimClient(t, dir.integration.token);
    users = await insertUsers(t, tenantId, integrationId, N, 'scale');
    group = await createGroup(scim, oktaCreateGroup('Everyone'));
    locker = new Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end();
    await t.close();
  });

  /** Runs `work` while another transaction holds `lock`; rolls it back afterwards. */
  async function whileLocked<T>(lock: string, params: unknown[], work: () => Promise<T>): Promise<T> {
    await locker.query('BEGIN');
    try {
      await locker.query(lock, params);
      return await work();
    } finally {
      await locker.query('ROLLBACK');
    }
  }

  it(`adds ${N} members in PATCH batches of ${BATCH}, each batch never touching the members already there`, async () => {
    for (let i = 0; i < N; i += BATCH) {
      const batch = users.slice(i, i + BATCH);
      const send = () =>
        scim.patch(`/Groups/${group.id}?excludedAttributes=members`, oktaAddMembers(oktaMembers(batch)));
      // The members already there are locked by another transaction: an add that read, updated or re-inserted
      // any of them would wait (and time out); only new rows are written.
      const res =
        i === N / 2
          ? await whileLocked(`SELECT 1 FROM group_members WHERE group_id = $1 FOR UPDATE`, [group.id], () =>
              send().timeout(5000),
            )
          : await send();
      const body = expectGroupResponse(res, 200);
      expect(body).not.toHaveProperty('members');
    }
    const [{ n }] = await t.sql<{ n: string }>(
      `SELECT count(*) AS n FROM group_members WHERE group_id = $1`,
      [group.id],
    );
    expect(Number(n)).toBe(N);
    expect(await storedMembers(t, group.id)).toEqual(sortedIds(users));
  });

  it('reads the whole group: every member, with value, display, $ref and type', async () => {
    const body = expectGroupResponse(await scim.get(`/Groups/${group.id}`), 200);
    expect(body.members).toHaveLength(N);
    expect((body.members as Json[]).map((m) => m.value).sort()).toEqual(sortedIds(users));
    expect(body.members[0]).toEqual({
      value: expect.any(String),
      display: expect.stringMatching(/^scale\.\d{6}@example\.com$/),
      $ref: expect.stringMatching(/\/scim\/v2\/Users\/[0-9a-f-]{36}$/),
      type: 'User',
    });
  });

  it('excludedAttributes=members never reads the members table (GET by id, lists, filters, .search, probe)', async () => {
    // With the members table locked exclusively by another transaction, any read of it would wait.
    await whileLocked(`LOCK TABLE group_members IN ACCESS EXCLUSIVE MODE`, [], async () => {
      const byId = expectGroupResponse(
        await scim.get(`/Groups/${group.id}?excludedAttributes=members`).timeout(5000),
        200,
      );
      expect(byId).not.toHaveProperty('members');
      expect(byId.displayName).toBe('Everyone');

      const filtered = expectListResponse(
        await scim
          .get(`/Groups?filter=${encodeURIComponent('displayName eq "everyone"')}&excludedAttributes=members`)
          .timeout(5000),
      );
      expect(filtered.totalResults).toBe(1);
      expect(filtered.Resources[0]).not.toHaveProperty('members');

      const listed = expectListResponse(await scim.get('/Groups?excludedAttributes=members').timeout(5000));
      expect(listed.Resources.map((g) => g.id)).toContain(group.id);
      for (const g of listed.Resources) expect(g).not.toHaveProperty('members');

      const searched = expectListResponse(
        await scim
          .post('/Groups/.search', { schemas: [SEARCH_REQUEST], excludedAttributes: ['members'] })
          .timeout(5000),
      );
      for (const g of searched.Resources) expect(g).not.toHaveProperty('members');
    });
    // Entra's probe filters on members (an indexed look-up) but returns none.
    const probe = expectListResponse(await scim.get(entraMemberProbe(group.id, users[N - 1].id)));
    expect(probe.totalResults).toBe(1);
    expect(probe.Resources[0]).not.toHaveProperty('members');
  });

  it('removing one member of the large group leaves exactly N-1, never touching the others', async () => {
    const victim = users[1234];
    const res = await whileLocked(
      `SELECT 1 FROM group_members WHERE group_id = $1 AND user_id <> $2 FOR UPDATE`,
      [group.id, victim.id],
      () =>
        scim
          .patch(`/Groups/${group.id}?excludedAttributes=members`, oktaRemoveMember(victim.id))
          .timeout(5000),
    );
    expectGroupResponse(res, 200);
    expect(await storedMembers(t, group.id)).toEqual(sortedIds(users.filter((u) => u.id !== victim.id)));
  });

  it("a user's groups lists exactly its pushed groups", async () => {
    const other = await createGroup(scim, oktaCreateGroup('Some', oktaMembers(users.slice(0, 1))));
    const res = await scim.get(`/Users/${users[0].id}`).expect(200);
    expect((res.body.groups as Json[]).map((g) => g.value).sort()).toEqual([group.id, other.id].sort());
    const outsider = await scim.get(`/Users/${users[1234].id}`).expect(200);
    expect(outsider.body.groups ?? []).toEqual([]);
  });

  it('takes the whole member list in one request in linear time: PATCH replace (Okta), PUT and POST', async () => {
    // Each of these once compared every pair of members (seconds for a few thousand): 5 s is a generous bound.
    const keep = users.slice(0, 2000);
    const patched = await scim
      .patch(`/Groups/${group.id}?excludedAttributes=members`, oktaReplaceMembers(oktaMembers(keep)))
      .timeout(5000);
    expectGroupResponse(patched, 200);
    expect(await storedMembers(t, group.id)).toEqual(sortedIds(keep));

    const put = await scim
      .put(`/Groups/${group.id}?excludedAttributes=members`, oktaCreateGroup('Everyone', oktaMembers(users)))
      .timeout(5000);
    expectGroupResponse(put, 200);
    expect(await storedMembers(t, group.id)).toEqual(sortedIds(users));

    const posted = await scim
      .post('/Groups?excludedAttributes=members', oktaCreateGroup('Everyone Again', oktaMembers(users)))
      .timeout(5000);
    const created = expectGroupResponse(posted, 201);
    expect(created).not.toHaveProperty('members');
    expect(await storedMembers(t, created.id)).toEqual(sortedIds(users));
  });
});
