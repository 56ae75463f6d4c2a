import { DataSource, type QueryRunner } from 'typeorm';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { createGroup, insertUsers, storedMembers } from './fixtures/groups/helpers';
import { oktaCreateGroup } from './fixtures/groups/okta';
import {
  createUser,
  expectListResponse,
  expectScimError,
  type Json,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
  USER_SCHEMA,
  userBody,
} from './fixtures/scim';

// The limits of libs/scim/src/scim-limits.ts (not part of any lib's public face, so restated here).
const USER_PAGE_BYTES = 4 * 1024 * 1024;
const GROUP_PAGE_MEMBERS = 10_000;
const MAX_GROUP_MEMBERS = 50_000;

/** Bytes of JSON text of each large user: six fit in a page's budget, seven do not. */
const LARGE = 650_000;

/**
 * What one page can cost: /Users pages stop at a byte budget of stored JSON, /Groups pages at a member budget,
 * and a group at MAX_GROUP_MEMBERS members. Large data is inserted with SQL, which is what makes the budgets
 * testable in seconds.
 */
describe('SCIM list budgets', () => {
  let t: TestApp;
  let scim: ScimClient;
  let tenantId: string;
  let integrationId: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    const dir = await createScimDirectory(t, 'okta');
    tenantId = dir.tenant.id;
    integrationId = dir.integration.id;
    scim = scimClient(t, dir.integration.token);
  });

  /** Users of about `bytes` bytes of JSON each, inserted with SQL; resource_bytes set as the writes set it. */
  async function insertLargeUsers(n: number, bytes: number, prefix: string): Promise<string[]> {
    const rows = await t.sql<{ id: string }>(
      `INSERT INTO scim_users (tenant_id, integration_id, user_name, resource, resource_bytes)
       SELECT $1, $2, r.name, r.resource, octet_length(r.resource::text)
         FROM (SELECT $3 || '.' || lpad(i::text, 4, '0') || '@example.com' AS name,
                      jsonb_build_object('schemas', jsonb_build_array($5::text), 'userName',
                                         $3 || '.' || lpad(i::text, 4, '0') || '@example.com', 'active', true,
                                         'nickName', repeat('x', $4::int)) AS resource
                 FROM generate_series(1, $6::int) i) r
       RETURNING id`,
      [tenantId, integrationId, prefix, bytes, USER_SCHEMA, n],
    );
    return rows.map((r) => r.id);
  }

  /** Every page of a list from startIndex 1 on, each continuing at startIndex + itemsPerPage. */
  async function walk(path: string, count: number): Promise<{ pages: Json[]; ids: string[] }> {
    const pages: Json[] = [];
    const ids: string[] = [];
    for (let start = 1; ;) {
      const sep = path.includes('?') ? '&' : '?';
      const res = await scim.get(`${path}${sep}startIndex=${start}&count=${count}`);
      const page = expectListResponse(res) as Json;
      pages.push(page);
      ids.push(...(page.Resources as Json[]).map((r) => r.id as string));
      if (page.itemsPerPage === 0 || start + page.itemsPerPage > page.totalResults) break;
      start += page.itemsPerPage;
      if (pages.length > 100) throw new Error('the walk does not end');
    }
    return { pages, ids };
  }

  describe('/Users pages', () => {
    it('stop at the byte budget with an exact totalResults, and a walk visits every user once', async () => {
      const large = await insertLargeUsers(20, LARGE, 'large');
      const small = await insertUsers(t, tenantId, integrationId, 30, 'small');
      const all = [...large, ...small.map((u) => u.id)];

      const first = expectListResponse(await scim.get('/Users?count=1000')) as Json;
      expect(first.totalResults).toBe(50);
      expect(first.startIndex).toBe(1);
      expect(first.itemsPerPage).toBe(Math.floor(USER_PAGE_BYTES / (LARGE + 200)));
      expect(first.Resources).toHaveLength(first.itemsPerPage);

      const { pages, ids } = await walk('/Users', 1000);
      expect(pages.length).toBeGreaterThan(3);
      for (const page of pages) {
        expect(page.totalResults).toBe(50);
        const bytes = (page.Resources as Json[]).reduce(
          (sum, r) => sum + Buffer.byteLength(JSON.stringify(r)),
          0,
        );
        expect(bytes).toBeLessThan(USER_PAGE_BYTES + 100_000);
      }
      expect(ids).toHaveLength(all.length);
      expect(new Set(ids)).toEqual(new Set(all));
    });

    it('apply to POST /Users/.search too', async () => {
      await insertLargeUsers(10, LARGE, 'search');
      const res = await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], startIndex: 1, count: 10 });
      const page = expectListResponse(res) as Json;
      expect(page.totalResults).toBe(10);
      expect(page.itemsPerPage).toBeLessThan(10);
      expect(page.itemsPerPage).toBeGreaterThan(0);
    });

    it('hold at least one user, however large', async () => {
      const [big] = await insertLargeUsers(1, 10, 'huge');
      await insertLargeUsers(2, 10, 'tiny');
      // A size no stored user can reach; the page must still make progress.
      await t.sql(`UPDATE scim_users SET resource_bytes = 100000000 WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        big,
      ]);
      const page = expectListResponse(await scim.get('/Users?count=10')) as Json;
      expect(page.totalResults).toBe(3);
      expect(page.itemsPerPage).toBe(1);
      expect(page.Resources[0].id).toBe(big);
      const rest = expectListResponse(await scim.get('/Users?startIndex=2&count=10')) as Json;
      expect(rest.itemsPerPage).toBe(2);
      expect(rest.totalResults).toBe(3);
    });

    it('are not cut when users are of the usual size', async () => {
      await insertUsers(t, tenantId, integrationId, 1000, 'usual');
      const page = expectListResponse(await scim.get('/Users?count=1000')) as Json;
      expect(page.itemsPerPage).toBe(1000);
      expect(page.totalResults).toBe(1000);
    });
  });

  describe('resource_bytes', () => {
    async function stored(id: string): Promise<{ resource_bytes: number; text: string }> {
      const [row] = await t.sql<{ resource_bytes: number; text: string }>(
        `SELECT resource_bytes, resource::text AS text FROM scim_users WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row;
    }

    it('is set from the JSON written by POST, PUT and PATCH', async () => {
      const user = await createUser(scim, 'zoë@example.com', { displayName: 'Zoë 日本語' });
      let row = await stored(user.id as string);
      expect(row.resource_bytes).toBe(Buffer.byteLength(row.text));
      expect(row.resource_bytes).toBeGreaterThan(row.text.length);

      const put = await scim.put(
        `/Users/${user.id}`,
        userBody('zoë@example.com', { nickName: 'ü'.repeat(5000) }),
      );
      expect(put.status).toBe(200);
      row = await stored(user.id as string);
      expect(row.resource_bytes).toBe(Buffer.byteLength(row.text));
      expect(row.resource_bytes).toBeGreaterThan(10_000);

      const patch = await scim.patch(
        `/Users/${user.id}`,
        patchBody({ op: 'replace', path: 'nickName', value: 'z' }),
      );
      expect(patch.status).toBe(200);
      row = await stored(user.id as string);
      expect(row.resource_bytes).toBe(Buffer.byteLength(row.text));
      expect(row.resource_bytes).toBeLessThan(1_000);
    });

    it("is backfilled by the migration's up", async () => {
      const queries: string[] = [];
      const migration = t.app
        .get(DataSource)
        .migrations.find((m) => m.name === 'ScimUserResourceBytes1796275200000');
      expect(migration).toBeDefined();
      await migration!.up({
        query: (q: string) => Promise.resolve(queries.push(q)),
      } as unknown as QueryRunner);
      const updates = queries.filter((q) => /^UPDATE/i.test(q.trim()));
      expect(updates).toHaveLength(1);

      // Rows as they were before the migration: resource_bytes at its default.
      await insertUsers(t, tenantId, integrationId, 3, 'old');
      await t.sql(
        `UPDATE scim_users SET resource = resource || jsonb_build_object('displayName', 'Ærø ✓ ' || user_name)
          WHERE tenant_id = $1`,
        [tenantId],
      );
      const before = await t.sql<{ resource_bytes: number }>(
        `SELECT resource_bytes FROM scim_users WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(before.map((r) => r.resource_bytes)).toEqual([0, 0, 0]);

      // The migration's statement, kept to this test's tenant so that it leaves other tests' rows alone.
      await t.sql(`${updates[0]} WHERE tenant_id = $1`, [tenantId]);
      const after = await t.sql<{ resource_bytes: number; text: string }>(
        `SELECT resource_bytes, resource::text AS text FROM scim_users WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(after).toHaveLength(3);
      for (const row of after) {
        expect(row.resource_bytes).toBe(Buffer.byteLength(row.text));
        expect(row.resource_bytes).toBeGreaterThan(row.text.length);
      }
    });
  });

  describe('/Groups pages', () => {
    async function addMembers(groupId: string, userIds: string[]): Promise<void> {
      await t.sql(
        `INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[])`,
        [tenantId, groupId, userIds],
      );
    }

    it('stop at the member budget, keep at least one group, and leave members-less pages alone', async () => {
      const users = (await insertUsers(t, tenantId, integrationId, 12_000, 'member')).map((u) => u.id);
      const big = await createGroup(scim, oktaCreateGroup('A big'));
      const a = await createGroup(scim, oktaCreateGroup('B six thousand'));
      const b = await createGroup(scim, oktaCreateGroup('C six thousand'));
      const c = await createGroup(scim, oktaCreateGroup('D ten'));
      await addMembers(big.id as string, users.slice(0, GROUP_PAGE_MEMBERS + 1));
      await addMembers(a.id as string, users.slice(0, 6000));
      await addMembers(b.id as string, users.slice(6000, 12_000));
      await addMembers(c.id as string, users.slice(0, 10));

      // A group over the budget on its own is still a page.
      const first = expectListResponse(await scim.get('/Groups?count=100')) as Json;
      expect(first.totalResults).toBe(4);
      expect(first.itemsPerPage).toBe(1);
      expect(first.Resources[0].id).toBe(big.id);
      expect(first.Resources[0].members).toHaveLength(GROUP_PAGE_MEMBERS + 1);

      const second = expectListResponse(await scim.get('/Groups?startIndex=2&count=100')) as Json;
      expect(second.totalResults).toBe(4);
      expect(second.Resources.map((g: Json) => g.id)).toEqual([a.id]);

      const third = expectListResponse(await scim.get('/Groups?startIndex=3&count=100')) as Json;
      expect(third.totalResults).toBe(4);
      expect(third.Resources.map((g: Json) => g.id)).toEqual([b.id, c.id]);
      expect(third.Resources.map((g: Json) => (g.members as Json[]).length)).toEqual([6000, 10]);

      const { ids } = await walk('/Groups', 100);
      expect(ids).toEqual([big.id, a.id, b.id, c.id]);

      const bare = expectListResponse(await scim.get('/Groups?count=100&excludedAttributes=members')) as Json;
      expect(bare.totalResults).toBe(4);
      expect(bare.itemsPerPage).toBe(4);
      for (const g of bare.Resources as Json[]) expect(g.members).toBeUndefined();
    });
  });

  describe('members per group', () => {
    it(`refuses a PATCH that would take a group over ${MAX_GROUP_MEMBERS} members, changing nothing`, async () => {
      const users = (await insertUsers(t, tenantId, integrationId, MAX_GROUP_MEMBERS + 2, 'cap')).map(
        (u) => u.id,
      );
      const group = await createGroup(scim, oktaCreateGroup('Full'));
      const id = group.id as string;
      await t.sql(
        `INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[])`,
        [tenantId, id, users.slice(0, MAX_GROUP_MEMBERS - 1)],
      );
      const version = async () =>
        (
          await t.sql<{ version: number }>(`SELECT version FROM groups WHERE tenant_id = $1 AND id = $2`, [
            tenantId,
            id,
          ])
        )[0].version;
      const add = (...userIds: string[]) =>
        scim.patch(
          `/Groups/${id}`,
          patchBody({ op: 'add', path: 'members', value: userIds.map((v) => ({ value: v })) }),
        );

      // Two concurrent additions to a group one short of the limit: the row lock lets exactly one through.
      const racing = await Promise.all([add(users[MAX_GROUP_MEMBERS - 1]), add(users[MAX_GROUP_MEMBERS])]);
      expect(racing.map((r) => r.status).sort()).toEqual([204, 400]);
      const refused = racing.find((r) => r.status === 400)!;
      expectScimError(refused, 400, 'invalidValue');
      expect(refused.body.detail).toContain(`${MAX_GROUP_MEMBERS} members per group`);
      expect((await storedMembers(t, id)).length).toBe(MAX_GROUP_MEMBERS);
      const full = await version();

      // At the limit: another addition is refused and changes nothing, not even the version.
      const over = await add(users[MAX_GROUP_MEMBERS + 1], users[0]);
      expectScimError(over, 400, 'invalidValue');
      expect((await storedMembers(t, id)).length).toBe(MAX_GROUP_MEMBERS);
      expect(await version()).toBe(full);

      // Re-adding a member, or swapping one for another, keeps the group at the limit and is accepted.
      expect((await add(users[0])).status).toBe(204);
      const swap = await scim.patch(
        `/Groups/${id}`,
        patchBody(
          { op: 'remove', path: `members[value eq "${users[0]}"]` },
          { op: 'add', path: 'members', value: [{ value: users[MAX_GROUP_MEMBERS + 1] }] },
        ),
      );
      expect(swap.status).toBe(204);
      const members = await storedMembers(t, id);
      expect(members.length).toBe(MAX_GROUP_MEMBERS);
      expect(members).toContain(users[MAX_GROUP_MEMBERS + 1]);
      expect(members).not.toContain(users[0]);
    }, 120_000);
  });
});
