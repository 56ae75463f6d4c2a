import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  createUser,
  expectListResponse,
  expectScimError,
  expectUserResponse,
  filterQuery,
  patchBody,
  scimClient,
  type ScimClient,
  userBody,
} from './fixtures/scim';

/** `bOb.SmItH@eXaMpLe.CoM`-style casings of one userName, a different one per request. */
function casing(name: string, seed: number): string {
  return [...name].map((ch, i) => ((seed >> (i % 12)) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join('');
}

describe('SCIM under concurrency', () => {
  let t: TestApp;
  let scim: ScimClient;
  let integration: { id: string; groupId: string };

  beforeAll(async () => {
    // 50 requests at once are over the default in-flight cap (48), which test/limits.e2e-spec.ts covers: here
    // every request must reach the database, so that the race is on the userName alone.
    t = await createTestApp({ SCIM_MAX_IN_FLIGHT: '64' });
    const dir = await createScimDirectory(t, 'okta');
    integration = dir.integration;
    scim = scimClient(t, dir.integration.token);
  });
  afterAll(() => t.close());

  it('50 parallel POSTs of one userName in mixed case: one 201, 49 × 409 uniqueness, no 5xx, one row', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        scim.post('/Users', userBody(casing('race.user@example.com', i * 37 + 1))),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of responses) {
      if (r.status === 409) expectScimError(r, 409, 'uniqueness');
      else expectUserResponse(r, 201);
    }
    const rows = await t.sql<{ id: string }>(
      `SELECT id FROM scim_users WHERE integration_id = $1 AND lower(user_name) = 'race.user@example.com'`,
      [integration.id],
    );
    expect(rows).toHaveLength(1);
    const members = await t.sql(`SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2`, [
      integration.groupId,
      rows[0].id,
    ]);
    expect(members).toHaveLength(1);
    const events = await t.sql<{ status: number; n: string }>(
      `SELECT status, count(*) AS n FROM scim_events WHERE integration_id = $1 AND method = 'POST' GROUP BY status ORDER BY status`,
      [integration.id],
    );
    expect(events.map((e) => [e.status, Number(e.n)])).toEqual([
      [201, 1],
      [409, 49],
    ]);
    const list = expectListResponse(await scim.get(filterQuery('userName eq "RACE.USER@example.com"')));
    expect(list.totalResults).toBe(1);
  });

  it('parallel PATCHes without If-Match all apply (none is lost)', async () => {
    const user = await createUser(scim, 'patch.race@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scim.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'add', path: 'emails', value: [{ value: `e${i}@example.com` }] }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const got = expectUserResponse(await scim.get(`/Users/${user.id}`), 200);
    expect(got.emails).toHaveLength(10);
    expect(got.meta.version).toBe('W/"11"');
  });

  it('parallel PUTs without If-Match all succeed, one after another (no 5xx, none lost)', async () => {
    const user = await createUser(scim, 'put.race@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scim.put(`/Users/${user.id}`, userBody('put.race@example.com', { title: `t${i}` })),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const got = expectUserResponse(await scim.get(`/Users/${user.id}`), 200);
    expect(got.meta.version).toBe('W/"11"');
    expect(responses.map((r) => r.body.title)).toContain(got.title);
  });

  it('parallel PUTs with the same If-Match: exactly one wins, the others get 412', async () => {
    const user = await createUser(scim, 'put.etag.race@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scim
          .put(`/Users/${user.id}`, userBody('put.etag.race@example.com', { title: `t${i}` }))
          .set('If-Match', 'W/"1"'),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(412)]);
  });

  it('parallel PATCHes with the same If-Match: exactly one wins, the others get 412', async () => {
    const user = await createUser(scim, 'etag.race@example.com');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scim
          .patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: `t${i}` }))
          .set('If-Match', 'W/"1"'),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(412)]);
    const got = expectUserResponse(await scim.get(`/Users/${user.id}`), 200);
    expect(got.meta.version).toBe('W/"2"');
  });

  it('parallel renames to one userName: one wins, the others get 409', async () => {
    const users = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createUser(scim, `rename.race${i}@example.com`)),
    );
    const responses = await Promise.all(
      users.map((u, i) =>
        scim.patch(
          `/Users/${u.id}`,
          patchBody({ op: 'replace', path: 'userName', value: casing('target.name@example.com', i + 3) }),
        ),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(7).fill(409)]);
  });
});
