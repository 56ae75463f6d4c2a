import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { SqlService } from '@rollcall/database';
import { ActivityService } from '@rollcall/integrations';
import { createIntegration, createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { createGroup, oktaMembers } from './fixtures/groups/helpers';
import {
  oktaAddMembers,
  oktaCreateGroup,
  oktaRemoveAndAdd,
  oktaRemoveMember,
  oktaRename,
  oktaReplaceMembers,
} from './fixtures/groups/okta';
import { ENTRA_DISABLE, ENTRA_PATHLESS_REPLACE, ENTRA_UPDATE } from './fixtures/entra';
import { OKTA_DEACTIVATE, OKTA_PASSWORD_CHANGE, oktaCreateUser, oktaPutUser } from './fixtures/okta';
import {
  createUser,
  ENTERPRISE,
  type Json,
  NO_SUCH_ID,
  patchBody,
  scimClient,
  type ScimClient,
  userBody,
} from './fixtures/scim';

const PASSWORD = 'Pa55w0rd-Never-Logged!';

interface EventRow {
  id: string;
  created_at: Date;
  method: string;
  path: string;
  resource_type: string | null;
  resource_id: string | null;
  resource_name: string | null;
  status: number;
  scim_type: string | null;
  detail: string | null;
  duration_ms: number;
  request_id: string;
  changes: Json | null;
  outcome: string;
}

describe('the sync activity log', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function directory(provider = 'okta') {
    const dir = await createScimDirectory(t, provider);
    return { ...dir, scim: scimClient(t, dir.integration.token) };
  }

  async function rows(integrationId: string): Promise<EventRow[]> {
    return t.sql<EventRow>(`SELECT * FROM scim_events WHERE integration_id = $1 ORDER BY id`, [
      integrationId,
    ]);
  }

  /** Sends a request with a fresh X-Request-Id; checks the server answers with it. */
  async function send(r: request.Test): Promise<{ res: request.Response; requestId: string }> {
    const requestId = `test-${randomUUID()}`;
    const res = await r.set('X-Request-Id', requestId);
    expect(res.headers['x-request-id']).toBe(requestId);
    return { res, requestId };
  }

  function events(adminToken: string, integrationId: string, query = '') {
    return request(t.http)
      .get(`/api/v1/scim-integrations/${integrationId}/events${query}`)
      .auth(adminToken, { type: 'bearer' });
  }

  describe('what is recorded', () => {
    let scim: ScimClient;
    let integration: { id: string; token: string };
    let tenant: { id: string; adminToken: string };

    beforeAll(async () => {
      ({ scim, integration, tenant } = await directory());
    });

    it('records every change exactly once, in the same statement: method, path, resource, name, status, duration, request id', async () => {
      const expected: Partial<EventRow>[] = [];
      const step = async (
        r: request.Test,
        status: number,
        facts: {
          resource_type: 'User' | 'Group';
          name: string;
          method: string;
          path?: (id: string) => string;
        },
        id?: string,
      ): Promise<Json> => {
        const before = (await rows(integration.id)).length;
        const { res, requestId } = await send(r);
        expect(res.status).toBe(status);
        const resourceId = (id ?? res.body.id) as string;
        const after = await rows(integration.id);
        expect(after).toHaveLength(before + 1);
        const row = after[after.length - 1];
        const want = {
          method: facts.method,
          path: `/${facts.resource_type}s${id || facts.method !== 'POST' ? `/${resourceId}` : ''}`,
          resource_type: facts.resource_type,
          resource_id: resourceId,
          resource_name: facts.name,
          status,
          scim_type: null,
          detail: null,
          request_id: requestId,
        };
        expect(row).toMatchObject(want);
        expect(row.duration_ms).toBeGreaterThanOrEqual(0);
        expect(row.duration_ms).toBeLessThan(10_000);
        expected.push(want);
        return res.body;
      };

      const user = await step(scim.post('/Users', oktaCreateUser('logged@example.com')), 201, {
        resource_type: 'User',
        name: 'logged@example.com',
        method: 'POST',
      });
      await step(
        scim.put(`/Users/${user.id}`, userBody('logged@example.com', { password: PASSWORD })),
        200,
        {
          resource_type: 'User',
          name: 'logged@example.com',
          method: 'PUT',
        },
        user.id,
      );
      await step(
        scim.patch(`/Users/${user.id}`, OKTA_DEACTIVATE),
        200,
        {
          resource_type: 'User',
          name: 'logged@example.com',
          method: 'PATCH',
        },
        user.id,
      );

      const group = await step(
        scim.post(
          '/Groups',
          oktaCreateGroup('Logged Group', oktaMembers([{ id: user.id, userName: user.userName }])),
        ),
        201,
        {
          resource_type: 'Group',
          name: 'Logged Group',
          method: 'POST',
        },
      );
      await step(
        scim.put(`/Groups/${group.id}`, oktaCreateGroup('Logged Group 2')),
        200,
        {
          resource_type: 'Group',
          name: 'Logged Group 2',
          method: 'PUT',
        },
        group.id,
      );
      await step(
        scim.patch(`/Groups/${group.id}`, oktaRename(group.id, 'Logged Group 3')),
        204,
        {
          resource_type: 'Group',
          name: 'Logged Group 3',
          method: 'PATCH',
        },
        group.id,
      );
      await step(
        scim.patch(
          `/Groups/${group.id}`,
          patchBody({ op: 'add', path: 'members', value: [{ value: user.id }] }),
        ),
        204,
        { resource_type: 'Group', name: 'Logged Group 3', method: 'PATCH' },
        group.id,
      );
      await step(
        scim.delete(`/Groups/${group.id}`),
        204,
        {
          resource_type: 'Group',
          name: 'Logged Group 3',
          method: 'DELETE',
        },
        group.id,
      );
      await step(
        scim.delete(`/Users/${user.id}`),
        204,
        {
          resource_type: 'User',
          name: 'logged@example.com',
          method: 'DELETE',
        },
        user.id,
      );

      expect(await rows(integration.id)).toMatchObject(expected);
    });

    it('records no read once the integration has events: GET by id, lists, filters, .search, discovery', async () => {
      const user = await createUser(scim, 'reader@example.com');
      const group = await createGroup(scim, oktaCreateGroup('Read Only'));
      const before = await rows(integration.id);
      await scim.get(`/Users/${user.id}`).expect(200);
      await scim.get('/Users?filter=' + encodeURIComponent('userName eq "reader@example.com"')).expect(200);
      await scim.get(`/Groups/${group.id}`).expect(200);
      await scim.get('/Groups?excludedAttributes=members').expect(200);
      await scim
        .post('/Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] })
        .expect(200);
      await scim.get('/ServiceProviderConfig').expect(200);
      await scim.get('/ResourceTypes').expect(200);
      expect(await rows(integration.id)).toEqual(before);
    });

    it('records a PATCH that changes nothing as unchanged: no changes, no new version', async () => {
      const group = await createGroup(scim, oktaCreateGroup('Unchanged'));
      const user = (await scim.post('/Users', oktaCreateUser('unchanged@example.com')).expect(201)).body;
      await scim.patch(`/Users/${user.id}`, OKTA_DEACTIVATE).expect(200);
      const before = await rows(integration.id);
      await scim.patch(`/Groups/${group.id}`, oktaRemoveMember(NO_SUCH_ID)).expect(204);
      await scim.patch(`/Groups/${group.id}`, oktaRename(group.id, 'Unchanged')).expect(204);
      const again = await scim.patch(`/Users/${user.id}`, OKTA_DEACTIVATE).expect(200);
      expect(again.body).toMatchObject({ active: false, meta: { version: 'W/"2"' } });
      const after = await rows(integration.id);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length)).toMatchObject([
        { method: 'PATCH', resource_id: group.id, status: 204, outcome: 'unchanged', changes: null },
        { method: 'PATCH', resource_id: group.id, status: 204, outcome: 'unchanged', changes: null },
        { method: 'PATCH', resource_id: user.id, status: 200, outcome: 'unchanged', changes: null },
      ]);
      const stored = await scim.get(`/Groups/${group.id}`).expect(200);
      expect(stored.body.meta.version).toBe('W/"1"');
    });

    it('records every failed request of the caller with scimType and detail (409, 400, 404, 412), and only that', async () => {
      const user = await createUser(scim, 'failing@example.com');
      const group = await createGroup(
        scim,
        oktaCreateGroup('Failing Group', oktaMembers([{ id: user.id, userName: user.userName }])),
      );
      const cases: {
        r: () => request.Test;
        status: number;
        scimType: string | null;
        method: string;
        path: string;
        type: string | null;
        resourceId?: string | null;
        name?: string | null;
      }[] = [
        {
          r: () => scim.post('/Users', userBody('FAILING@example.com', { password: PASSWORD })),
          status: 409,
          scimType: 'uniqueness',
          method: 'POST',
          path: '/Users',
          type: 'User',
          name: 'FAILING@example.com',
        },
        {
          r: () => scim.post('/Groups', oktaCreateGroup('failing group')),
          status: 409,
          scimType: 'uniqueness',
          method: 'POST',
          path: '/Groups',
          type: 'Group',
          name: 'failing group',
        },
        {
          r: () =>
            scim.patch(
              `/Groups/${group.id}`,
              patchBody({ op: 'add', path: 'members', value: [{ value: NO_SUCH_ID }] }),
            ),
          status: 400,
          scimType: 'invalidValue',
          method: 'PATCH',
          path: `/Groups/${group.id}`,
          type: 'Group',
          resourceId: group.id,
        },
        {
          r: () => scim.get('/Groups?filter=' + encodeURIComponent('displayName eq')),
          status: 400,
          scimType: 'invalidFilter',
          method: 'GET',
          path: '/Groups',
          type: 'Group',
        },
        {
          r: () => scim.get(`/Groups/${NO_SUCH_ID}`),
          status: 404,
          scimType: null,
          method: 'GET',
          path: `/Groups/${NO_SUCH_ID}`,
          type: 'Group',
          resourceId: NO_SUCH_ID,
        },
        {
          r: () => scim.delete(`/Users/${NO_SUCH_ID}`),
          status: 404,
          scimType: null,
          method: 'DELETE',
          path: `/Users/${NO_SUCH_ID}`,
          type: 'User',
          resourceId: NO_SUCH_ID,
        },
        {
          r: () =>
            scim.put(`/Groups/${group.id}`, oktaCreateGroup('Failing Group')).set('If-Match', 'W/"42"'),
          status: 412,
          scimType: null,
          method: 'PUT',
          path: `/Groups/${group.id}`,
          type: 'Group',
          resourceId: group.id,
          name: 'Failing Group',
        },
        {
          r: () => scim.patch(`/Users/${user.id}`, { schemas: ['nope'], Operations: [] }),
          status: 400,
          scimType: 'invalidSyntax',
          method: 'PATCH',
          path: `/Users/${user.id}`,
          type: 'User',
          resourceId: user.id,
        },
      ];
      for (const c of cases) {
        const before = (await rows(integration.id)).length;
        const { res, requestId } = await send(c.r());
        expect(res.status).toBe(c.status);
        const after = await rows(integration.id);
        expect(after).toHaveLength(before + 1);
        const row = after[after.length - 1];
        expect(row).toMatchObject({
          method: c.method,
          path: c.path,
          resource_type: c.type,
          resource_id: c.resourceId ?? null,
          status: c.status,
          scim_type: c.scimType,
          detail: res.body.detail,
          request_id: requestId,
        });
        if (c.name !== undefined) expect(row.resource_name).toBe(c.name);
        expect(row.detail).toEqual(expect.any(String));
      }
      // The failed PATCH changed nothing and logged no success.
      expect(
        (await rows(integration.id)).filter((r) => r.resource_id === group.id && r.status < 400),
      ).toHaveLength(1);
    });

    it('records nothing for a caller without a valid token', async () => {
      const before = await t.sql(`SELECT count(*) AS n FROM scim_events`);
      const res = await request(t.http).get('/scim/v2/Users').auth('rc_scim_not-a-token', { type: 'bearer' });
      expect(res.status).toBe(401);
      const after = await t.sql(`SELECT count(*) AS n FROM scim_events WHERE request_id = $1`, [
        res.headers['x-request-id'],
      ]);
      expect(after).toEqual([{ n: '0' }]);
      expect(before).toBeDefined();
    });

    it('never keeps a token or a password, in any column', async () => {
      // A few more requests carrying the password, successful and failed.
      const u = await createUser(scim, 'secret@example.com', { password: PASSWORD });
      await scim
        .patch(`/Users/${u.id}`, patchBody({ op: 'replace', path: 'password', value: PASSWORD }))
        .expect(200);
      await scim.patch(
        `/Users/${u.id}`,
        patchBody({ op: 'replace', value: { password: PASSWORD, userName: '' } }),
      );
      await scim.patch(
        `/Users/${u.id}`,
        patchBody({ op: 'replace', path: 'password', value: { x: PASSWORD } }),
      );
      await scim.post('/Users', userBody('secret@example.com', { password: PASSWORD })).expect(409);
      await scim.post('/Users', userBody(PASSWORD, { password: PASSWORD })).expect(201);
      const all = await rows(integration.id);
      expect(all.length).toBeGreaterThan(10);
      const text = JSON.stringify(all);
      expect(text).not.toContain(integration.token);
      expect(text).not.toContain(integration.token.slice(-24));
      // The password appears only where it was sent as a userName (a name, not a secret).
      const withPassword = all.filter((r) => JSON.stringify(r).includes(PASSWORD));
      expect(
        withPassword.every((r) => r.resource_name === PASSWORD && !(r.detail ?? '').includes(PASSWORD)),
      ).toBe(true);
      // Nor does any other table keep the token (only its hash).
      const tokens = await t.sql(`SELECT * FROM api_tokens WHERE tenant_id = $1`, [tenant.id]);
      expect(JSON.stringify(tokens)).not.toContain(integration.token);
    });
  });

  describe("the integration's first request, when it only reads", () => {
    /** Okta's Test API Credentials: a userName look-up of one user. */
    const OKTA_TEST_CREDENTIALS =
      '/Users?filter=' + encodeURIComponent('userName eq "probe.user@example.com"') + '&startIndex=1&count=1';

    it('is in the log as outcome read: method, path without the query string, status, request id; nothing of the filter', async () => {
      const { scim, integration, tenant } = await directory();
      const { res, requestId } = await send(scim.get(OKTA_TEST_CREDENTIALS));
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(0);

      // What the admin reads right after the answer.
      const listed = await events(tenant.adminToken, integration.id).expect(200);
      expect(listed.body).toEqual({
        items: [
          {
            id: expect.any(String),
            time: expect.any(String),
            method: 'GET',
            path: '/Users',
            resourceType: 'User',
            resourceId: null,
            resourceName: null,
            status: 200,
            outcome: 'read',
            changes: null,
            scimType: null,
            detail: null,
            durationMs: expect.any(Number),
            requestId,
            count: 1,
          },
        ],
        nextCursor: null,
      });
      // What is stored: no filter, no user name, anywhere in the row.
      const [row] = await rows(integration.id);
      expect(row).toMatchObject({ method: 'GET', path: '/Users', outcome: 'read', resource_name: null });
      expect(JSON.stringify(row)).not.toMatch(/probe\.user|filter|startIndex|count=/);
      // A read is a success.
      const succeeded = await events(tenant.adminToken, integration.id, '?status=succeeded').expect(200);
      expect(succeeded.body.items.map((e: Json) => e.outcome)).toEqual(['read']);
      const failed = await events(tenant.adminToken, integration.id, '?status=failed').expect(200);
      expect(failed.body.items).toEqual([]);
    });

    it('is recorded once: later reads, and reads after writes, add nothing', async () => {
      const { scim, integration } = await directory();
      await scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      await scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      await scim.get('/Groups?excludedAttributes=members').expect(200);
      expect((await rows(integration.id)).map((r) => r.outcome)).toEqual(['read']);

      const ann = await createUser(scim, 'ann@example.com');
      await scim.get(`/Users/${ann.id as string}`).expect(200);
      await scim.get('/Users?filter=' + encodeURIComponent('userName eq "ann@example.com"')).expect(200);
      expect((await rows(integration.id)).map((r) => [r.outcome, r.method, r.path])).toEqual([
        ['read', 'GET', '/Users'],
        ['changed', 'POST', '/Users'],
      ]);
    });

    it('is not recorded when the first request was a write', async () => {
      const { scim, integration } = await directory();
      const ann = await createUser(scim, 'first-write@example.com');
      await scim.get(`/Users/${ann.id as string}`).expect(200);
      await scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      expect((await rows(integration.id)).map((r) => r.outcome)).toEqual(['changed']);
    });

    it('is not recorded after a failed first request, which is in the log as failed', async () => {
      const { scim, integration } = await directory();
      await scim.get(`/Users/${NO_SUCH_ID}`).expect(404);
      await scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      await scim.get('/ServiceProviderConfig').expect(200);
      expect((await rows(integration.id)).map((r) => [r.outcome, r.status, r.path])).toEqual([
        ['failed', 404, `/Users/${NO_SUCH_ID}`],
      ]);
    });

    it('records a discovery read, a HEAD and a .search, with no resource or the one the path names', async () => {
      const discovery = await directory('entra');
      await discovery.scim.get('/ServiceProviderConfig').expect(200);
      expect(await rows(discovery.integration.id)).toMatchObject([
        {
          method: 'GET',
          path: '/ServiceProviderConfig',
          resource_type: null,
          resource_id: null,
          status: 200,
          outcome: 'read',
        },
      ]);

      const head = await directory();
      const res = await request(t.http)
        .head('/scim/v2/Schemas')
        .auth(head.integration.token, { type: 'bearer' });
      expect(res.status).toBe(200);
      expect(await rows(head.integration.id)).toMatchObject([
        { method: 'HEAD', path: '/Schemas', resource_type: null, status: 200, outcome: 'read' },
      ]);

      const search = await directory();
      await search.scim
        .post('/Groups/.search', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter: 'displayName eq "Secret Project"',
        })
        .expect(200);
      const [row] = await rows(search.integration.id);
      expect(row).toMatchObject({
        method: 'POST',
        path: '/Groups/.search',
        resource_type: 'Group',
        resource_id: null,
        status: 200,
        outcome: 'read',
      });
      expect(JSON.stringify(row)).not.toContain('Secret Project');
    });

    it('records a 304 (If-None-Match) as the first read, with the resource the path names', async () => {
      const { scim, integration } = await directory();
      const ann = await createUser(scim, 'etag@example.com');
      // The log no longer holds the create (as after the retention sweep): the next request is the first again.
      await t.sql(`DELETE FROM scim_events WHERE integration_id = $1`, [integration.id]);
      const { res, requestId } = await send(
        scim.get(`/Users/${ann.id as string}`).set('If-None-Match', ann.meta.version as string),
      );
      expect(res.status).toBe(304);
      expect(await rows(integration.id)).toMatchObject([
        {
          method: 'GET',
          path: `/Users/${ann.id as string}`,
          resource_type: 'User',
          resource_id: ann.id,
          resource_name: null,
          status: 304,
          outcome: 'read',
          request_id: requestId,
        },
      ]);
    });

    it('records one read for reads sent together', async () => {
      const { scim, integration } = await directory('entra');
      const answers = await Promise.all(Array.from({ length: 6 }, () => scim.get(OKTA_TEST_CREDENTIALS)));
      expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
      expect((await rows(integration.id)).map((r) => r.outcome)).toEqual(['read']);
    });

    it("leaves another tenant's integration alone: each integration has its own first request", async () => {
      const a = await directory();
      const b = await directory();
      await a.scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      expect(await rows(b.integration.id)).toEqual([]);
      expect((await events(b.tenant.adminToken, b.integration.id).expect(200)).body.items).toEqual([]);
      expect((await events(b.tenant.adminToken, a.integration.id)).status).toBe(404);

      await b.scim.get('/ResourceTypes').expect(200);
      expect((await rows(a.integration.id)).map((r) => r.path)).toEqual(['/Users']);
      expect((await rows(b.integration.id)).map((r) => r.path)).toEqual(['/ResourceTypes']);
    });

    it('adds no second read from another instance, or this one restarted, whose memory is empty', async () => {
      const { scim, integration } = await directory();
      await scim.get(OKTA_TEST_CREDENTIALS).expect(200);
      const other = await createTestApp();
      try {
        const otherScim = scimClient(other, integration.token);
        await otherScim.get(OKTA_TEST_CREDENTIALS).expect(200);
        await otherScim.get('/ServiceProviderConfig').expect(200);
      } finally {
        await other.close();
      }
      expect((await rows(integration.id)).map((r) => r.outcome)).toEqual(['read']);
    });
  });

  describe('GET /api/v1/scim-integrations/:id/events', () => {
    let scim: ScimClient;
    let integration: { id: string; token: string };
    let tenant: { id: string; adminToken: string };

    beforeAll(async () => {
      ({ scim, integration, tenant } = await directory('entra'));
      // 12 changes and 3 failures.
      for (let i = 0; i < 6; i++) await createUser(scim, `paged${i}@example.com`);
      for (let i = 0; i < 4; i++) await createGroup(scim, oktaCreateGroup(`Paged ${i}`));
      const g = await createGroup(scim, oktaCreateGroup('Paged Renamed'));
      await scim.patch(`/Groups/${g.id}`, oktaRename(g.id, 'Paged Renamed 2')).expect(204);
      await scim.post('/Users', userBody('paged0@example.com')).expect(409);
      await scim.get(`/Groups/${NO_SUCH_ID}`).expect(404);
      await scim.post('/Groups', oktaCreateGroup('paged 1')).expect(409);
    });

    it('lists newest first with every field', async () => {
      const res = await events(tenant.adminToken, integration.id).expect(200);
      const stored = (await rows(integration.id)).reverse();
      expect(res.body.items).toHaveLength(stored.length);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items.map((e: Json) => e.id)).toEqual(stored.map((r) => String(r.id)));
      const times = res.body.items.map((e: Json) => Date.parse(e.time));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(res.body.items[0]).toEqual({
        id: expect.any(String),
        time: expect.any(String),
        method: 'POST',
        path: '/Groups',
        resourceType: 'Group',
        resourceId: null,
        resourceName: 'paged 1',
        status: 409,
        outcome: 'failed',
        scimType: 'uniqueness',
        detail: expect.stringContaining('paged 1'),
        durationMs: expect.any(Number),
        requestId: stored[0].request_id,
        count: 1,
        changes: null,
      });
      expect(res.body.items[3]).toMatchObject({
        method: 'PATCH',
        resourceType: 'Group',
        resourceName: 'Paged Renamed 2',
        status: 204,
        outcome: 'changed',
        changes: { displayName: { from: 'Paged Renamed', to: 'Paged Renamed 2' } },
        scimType: null,
        detail: null,
      });
    });

    it('walks every event exactly once with the cursor', async () => {
      const stored = (await rows(integration.id)).reverse().map((r) => String(r.id));
      expect(stored.length).toBeGreaterThan(10);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await events(tenant.adminToken, integration.id, q).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(4);
        seen.push(...res.body.items.map((e: Json) => e.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toEqual(stored);
      expect(pages).toBe(Math.ceil(stored.length / 4));
    });

    it('walks events made in one instant (same created_at) exactly once', async () => {
      const { integration: other, tenant: otherTenant } = await directory();
      await t.sql(
        `INSERT INTO scim_events (tenant_id, integration_id, created_at, method, path, status, duration_ms, request_id)
         SELECT $1, $2, '2030-01-01T00:00:00.123456Z', 'POST', '/Users', 201, 1, 'same-' || i FROM generate_series(1, 7) i`,
        [otherTenant.id, other.id],
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await events(otherTenant.adminToken, other.id, q).expect(200);
        seen.push(...res.body.items.map((e: Json) => e.requestId));
        cursor = res.body.nextCursor;
      } while (cursor && seen.length < 50);
      expect([...seen].sort()).toEqual(Array.from({ length: 7 }, (_, i) => `same-${i + 1}`).sort());
      expect(new Set(seen).size).toBe(7);
    });

    it('filters by status, resourceType and since', async () => {
      const failed = await events(tenant.adminToken, integration.id, '?status=failed').expect(200);
      expect(failed.body.items).toHaveLength(3);
      expect(failed.body.items.every((e: Json) => e.outcome === 'failed' && e.status >= 400)).toBe(true);
      const succeeded = await events(tenant.adminToken, integration.id, '?status=succeeded').expect(200);
      expect(succeeded.body.items).toHaveLength(12);

      const groups = await events(tenant.adminToken, integration.id, '?resourceType=Group').expect(200);
      expect(groups.body.items.length).toBe(8);
      expect(groups.body.items.every((e: Json) => e.resourceType === 'Group')).toBe(true);
      const failedUsers = await events(
        tenant.adminToken,
        integration.id,
        '?resourceType=User&status=failed',
      ).expect(200);
      expect(failedUsers.body.items).toHaveLength(1);
      expect(failedUsers.body.items[0]).toMatchObject({ status: 409, scimType: 'uniqueness' });

      const all = await events(tenant.adminToken, integration.id).expect(200);
      const pivot = all.body.items[4].time as string;
      const since = await events(
        tenant.adminToken,
        integration.id,
        `?since=${encodeURIComponent(pivot)}`,
      ).expect(200);
      expect(since.body.items.map((e: Json) => e.id)).toEqual(
        all.body.items.filter((e: Json) => Date.parse(e.time) >= Date.parse(pivot)).map((e: Json) => e.id),
      );
      const future = await events(tenant.adminToken, integration.id, '?since=2999-01-01T00:00:00Z').expect(
        200,
      );
      expect(future.body).toEqual({ items: [], nextCursor: null });
    });

    it('refuses bad queries with 400: a cursor it did not make, an unknown status or type, a bad limit or since', async () => {
      for (const q of [
        '?cursor=not-a-cursor',
        `?cursor=${Buffer.from('yesterday|1').toString('base64url')}`,
        `?cursor=${Buffer.from('2020-01-01 00:00:00+00|abc').toString('base64url')}`,
        // Out of the database's range: an id past bigint, a date that does not exist, a year past 9999.
        `?cursor=${Buffer.from('2020-01-01 00:00:00+00|9999999999999999999').toString('base64url')}`,
        `?cursor=${Buffer.from('2020-02-31 00:00:00+00|1').toString('base64url')}`,
        `?cursor=${Buffer.from('275760-09-13 00:00:00+00|1').toString('base64url')}`,
        `?cursor=${Buffer.from('2020-01-01 00:00:00+00|1|2').toString('base64url')}`,
        '?status=maybe',
        '?resourceType=Tenant',
        '?limit=0',
        '?limit=1000',
        '?since=tomorrow',
      ]) {
        const res = await events(tenant.adminToken, integration.id, q);
        expect({ q, status: res.status }).toEqual({ q, status: 400 });
        expect(res.body.code).toBe('validation_failed');
      }
    });

    it("answers 404 for another tenant's integration, an unknown one; 401 without an admin token", async () => {
      const stranger = await directory();
      const res = await events(stranger.tenant.adminToken, integration.id);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect((await events(tenant.adminToken, NO_SUCH_ID)).status).toBe(404);
      const scimToken = await request(t.http)
        .get(`/api/v1/scim-integrations/${integration.id}/events`)
        .auth(integration.token, { type: 'bearer' });
      expect(scimToken.status).toBe(401);
    });

    it('shows the last request time and the failures of the last 24 hours in the details', async () => {
      const details = await request(t.http)
        .get(`/api/v1/scim-integrations/${integration.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .expect(200);
      expect(details.body.failedRequests24h).toBe(3);
      expect(Date.now() - Date.parse(details.body.lastRequestAt)).toBeLessThan(60_000);
      // A failure older than 24 hours is not counted; one more failure now is.
      await t.sql(
        `INSERT INTO scim_events (tenant_id, integration_id, created_at, method, path, status, duration_ms, request_id)
         VALUES ($1, $2, now() - interval '25 hours', 'GET', '/Users', 400, 1, 'old-failure')`,
        [tenant.id, integration.id],
      );
      await scim.get(`/Users/${NO_SUCH_ID}`).expect(404);
      const again = await request(t.http)
        .get(`/api/v1/scim-integrations/${integration.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .expect(200);
      expect(again.body.failedRequests24h).toBe(4);
      const list = await request(t.http)
        .get('/api/v1/scim-integrations')
        .auth(tenant.adminToken, { type: 'bearer' })
        .expect(200);
      const listed = (Array.isArray(list.body) ? list.body : list.body.items) as Json[];
      expect(listed.find((i) => i.id === integration.id)).toMatchObject({ failedRequests24h: 4 });
    });

    it('shows no last request for an integration never used', async () => {
      const fresh = await createScimDirectory(t);
      const details = await request(t.http)
        .get(`/api/v1/scim-integrations/${fresh.integration.id}`)
        .auth(fresh.tenant.adminToken, { type: 'bearer' })
        .expect(200);
      expect(details.body).toMatchObject({ lastRequestAt: null, failedRequests24h: 0 });
    });
  });

  describe('what changed', () => {
    let scim: ScimClient;
    let integration: { id: string; token: string };
    let tenant: { id: string; adminToken: string };

    beforeAll(async () => {
      ({ scim, integration, tenant } = await directory());
    });

    /** The events of one resource, newest first, as the admin reads them. */
    async function eventsOf(resourceId: string, adminToken = tenant.adminToken): Promise<Json[]> {
      const res = await events(adminToken, integration.id, `?resourceId=${resourceId}`).expect(200);
      return res.body.items as Json[];
    }

    it('answers "what did the identity provider change, and when" from the activity log alone', async () => {
      // Okta creates Ann, later pushes her new title with its GET-then-PUT, deactivates her, and re-sends the
      // deactivation the next day.
      const ann = (await scim.post('/Users', oktaCreateUser('ann.story@example.com')).expect(201)).body;
      const current = (await scim.get(`/Users/${ann.id}`).expect(200)).body;
      const { password: _password, ...put } = oktaPutUser(current);
      await scim.put(`/Users/${ann.id}`, { ...put, title: 'Engineer' }).expect(200);
      await scim.put(`/Users/${ann.id}`, { ...put, title: 'Manager' }).expect(200);
      await scim.patch(`/Users/${ann.id}`, OKTA_DEACTIVATE).expect(200);
      await scim.patch(`/Users/${ann.id}`, OKTA_DEACTIVATE).expect(200);

      // The admin knows only her userName, in another case.
      const res = await events(
        tenant.adminToken,
        integration.id,
        `?resourceName=${encodeURIComponent('ANN.STORY@example.com')}`,
      ).expect(200);
      const story = (res.body.items as Json[]).map((e) => ({
        method: e.method,
        outcome: e.outcome,
        changes: e.changes,
      }));
      expect(story).toEqual([
        { method: 'PATCH', outcome: 'unchanged', changes: null },
        { method: 'PATCH', outcome: 'changed', changes: { active: { from: true, to: false } } },
        { method: 'PUT', outcome: 'changed', changes: { title: { from: 'Engineer', to: 'Manager' } } },
        {
          method: 'PUT',
          outcome: 'changed',
          changes: {
            title: { to: 'Engineer' },
            displayName: { from: 'Test User', to: 'Another User' },
            'name.givenName': { from: 'Test', to: 'Another' },
          },
        },
        { method: 'POST', outcome: 'changed', changes: null },
      ]);
      // …and when: every event has its time, newest first, and the request id the identity provider saw.
      const items = res.body.items as Json[];
      const times = items.map((e) => Date.parse(e.time));
      expect(times.every((time) => Number.isFinite(time))).toBe(true);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(items.every((e) => e.resourceId === ann.id && typeof e.requestId === 'string')).toBe(true);
    });

    it('shows a PUT that changes the title as title: old → new', async () => {
      const user = (await scim.post('/Users', oktaCreateUser('title.put@example.com')).expect(201)).body;
      const { password: _password, ...put } = oktaPutUser(user);
      await scim.put(`/Users/${user.id}`, { ...put, title: 'Engineer' }).expect(200);
      await scim.put(`/Users/${user.id}`, { ...put, title: 'Manager' }).expect(200);
      const [latest] = await eventsOf(user.id);
      expect(latest).toMatchObject({
        method: 'PUT',
        status: 200,
        outcome: 'changed',
        changes: { title: { from: 'Engineer', to: 'Manager' } },
      });
    });

    it('records Okta re-sending the same user (PUT) as unchanged, without a new version', async () => {
      const user = (await scim.post('/Users', oktaCreateUser('resent@example.com')).expect(201)).body;
      const { password: _password, ...put } = oktaPutUser(user);
      const first = await scim.put(`/Users/${user.id}`, put).expect(200);
      const again = await scim.put(`/Users/${user.id}`, put).expect(200);
      expect(again.body.meta.version).toBe(first.body.meta.version);
      expect(again.headers.etag).toBe(first.headers.etag);
      const [latest, previous] = await eventsOf(user.id);
      expect(latest).toMatchObject({ method: 'PUT', status: 200, outcome: 'unchanged', changes: null });
      expect(previous).toMatchObject({ method: 'PUT', outcome: 'changed' });
      // Okta with Sync Password re-sends the password too: only a salted hash is kept, so that is shown as a
      // password change, and nothing else.
      await scim.put(`/Users/${user.id}`, { ...put, password: 'n3wPa55word!' }).expect(200);
      const [withPassword] = await eventsOf(user.id);
      expect(withPassword).toMatchObject({ outcome: 'changed', changes: { password: { changed: true } } });
    });

    it('shows a password change only as "changed": no value or hash anywhere in the row', async () => {
      const user = (await scim.post('/Users', oktaCreateUser('pw.change@example.com')).expect(201)).body;
      await scim.patch(`/Users/${user.id}`, OKTA_PASSWORD_CHANGE).expect(200);
      await scim
        .patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'password', value: PASSWORD }))
        .expect(200);
      const [latest, previous] = await eventsOf(user.id);
      for (const e of [latest, previous]) {
        expect(e).toMatchObject({
          method: 'PATCH',
          outcome: 'changed',
          changes: { password: { changed: true } },
        });
        expect(Object.keys(e.changes as Json)).toEqual(['password']);
      }
      const stored = await t.sql<Json>(`SELECT * FROM scim_events WHERE resource_id = $1`, [user.id]);
      const [{ password_hash: hash }] = await t.sql<{ password_hash: string }>(
        `SELECT password_hash FROM scim_users WHERE id = $1`,
        [user.id],
      );
      const text = JSON.stringify(stored);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('n3wPa55word!');
      expect(text).not.toContain('1mz050nq');
      expect(text).not.toContain(hash);
      expect(text).not.toContain(hash.slice(-20));
    });

    it("shows Entra's PATCHes by attribute path: sub-attributes, lists whole, the enterprise extension", async () => {
      const user = (await scim.post('/Users', oktaCreateUser('entra.paths@example.com')).expect(201)).body;
      await scim.patch(`/Users/${user.id}`, ENTRA_UPDATE).expect(200);
      let [latest] = await eventsOf(user.id);
      expect(latest.changes).toEqual({
        emails: {
          from: [{ primary: true, value: 'entra.paths@example.com', type: 'work' }],
          to: [{ primary: true, value: 'updatedEmail@microsoft.com', type: 'work' }],
        },
        'name.familyName': { from: 'User', to: 'updatedFamilyName' },
        addresses: { to: [{ type: 'work', formatted: '1 Microsoft Way, Redmond' }] },
        phoneNumbers: { to: [{ type: 'mobile', value: '+1 555 0100' }] },
      });
      await scim.patch(`/Users/${user.id}`, ENTRA_PATHLESS_REPLACE).expect(200);
      [latest] = await eventsOf(user.id);
      expect(latest.changes).toEqual({
        displayName: { from: 'Test User', to: 'Entra Renamed' },
        'name.givenName': { from: 'Test', to: 'Ada' },
        'name.familyName': { from: 'updatedFamilyName', to: 'Lovelace' },
        [ENTERPRISE]: { to: { department: 'Analytical Engines', employeeNumber: '1815' } },
        schemas: expect.objectContaining({ to: expect.arrayContaining([ENTERPRISE]) }),
      });
      await scim.patch(`/Users/${user.id}`, ENTRA_DISABLE).expect(200);
      [latest] = await eventsOf(user.id);
      expect(latest.changes).toEqual({ active: { from: true, to: false } });
      await scim
        .patch(
          `/Users/${user.id}`,
          patchBody({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' }),
        )
        .expect(200);
      [latest] = await eventsOf(user.id);
      expect(latest.changes).toEqual({
        [`${ENTERPRISE}:department`]: { from: 'Analytical Engines', to: 'Sales' },
      });
    });

    it('cuts long values with a marker: strings over 256 characters, values over 1 KB', async () => {
      const user = (await scim.post('/Users', oktaCreateUser('long.values@example.com')).expect(201)).body;
      const long = 'x'.repeat(300);
      const many = Array.from({ length: 30 }, (_, i) => ({
        type: 'other',
        value: `+1 555 01${i}0 ext ${'9'.repeat(20)}`,
      }));
      await scim
        .patch(`/Users/${user.id}`, patchBody({ op: 'replace', value: { title: long, phoneNumbers: many } }))
        .expect(200);
      const [latest] = await eventsOf(user.id);
      expect(latest.changes.title).toEqual({ to: `${'x'.repeat(256)}…[cut: 300 characters]` });
      expect(latest.changes.phoneNumbers).toEqual({
        to: expect.stringMatching(/^…\[cut: a value of \d{4} bytes\]$/),
      });
      const [row] = await t.sql<{ n: number }>(
        `SELECT octet_length(changes::text) AS n FROM scim_events WHERE id = $1`,
        [latest.id],
      );
      expect(row.n).toBeLessThan(1000);
    });

    it('says which members a group PATCH added and removed: counts, and ids up to 100', async () => {
      const users: { id: string; userName: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const { id, userName } = await createUser(scim, `member${i}.changes@example.com`);
        users.push({ id: id as string, userName: userName as string });
      }
      const [a, b, c, d] = users;
      const group = await createGroup(scim, oktaCreateGroup('Members Changes'));
      await scim.patch(`/Groups/${group.id}`, oktaAddMembers(oktaMembers([a, b, c]))).expect(204);
      let [latest] = await eventsOf(group.id);
      expect(latest).toMatchObject({ outcome: 'changed', resourceName: 'Members Changes' });
      expect(latest.changes).toEqual({
        members: { added: 3, removed: 0, addedIds: [a.id, b.id, c.id].sort(), removedIds: [] },
      });
      await scim.patch(`/Groups/${group.id}`, oktaRemoveAndAdd(a.id, oktaMembers([d]))).expect(204);
      [latest] = await eventsOf(group.id);
      expect(latest.changes).toEqual({
        members: { added: 1, removed: 1, addedIds: [d.id], removedIds: [a.id] },
      });
      // Okta's Push Groups replacing the whole list: the difference, not the list.
      await scim.patch(`/Groups/${group.id}`, oktaReplaceMembers(oktaMembers([b, d]))).expect(204);
      [latest] = await eventsOf(group.id);
      expect(latest.changes).toEqual({ members: { added: 0, removed: 1, addedIds: [], removedIds: [c.id] } });
      // A rename with no member change, and a re-added member (nothing changes).
      await scim.patch(`/Groups/${group.id}`, oktaRename(group.id, 'Members Renamed')).expect(204);
      [latest] = await eventsOf(group.id);
      expect(latest.changes).toEqual({ displayName: { from: 'Members Changes', to: 'Members Renamed' } });
      await scim.patch(`/Groups/${group.id}`, oktaAddMembers(oktaMembers([b]))).expect(204);
      [latest] = await eventsOf(group.id);
      expect(latest).toMatchObject({ outcome: 'unchanged', changes: null });
    });

    it('lists at most 100 ids of a large membership change, with exact counts', async () => {
      const { ids } = await insertMany(150);
      const group = await createGroup(scim, oktaCreateGroup('Large Change'));
      await scim
        .patch(
          `/Groups/${group.id}`,
          patchBody({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }),
        )
        .expect(204);
      const [latest] = await eventsOf(group.id);
      expect(latest.changes.members.added).toBe(150);
      expect(latest.changes.members.addedIds).toEqual([...ids].sort().slice(0, 100));
      // A PUT that keeps 10 of them.
      await scim
        .put(`/Groups/${group.id}`, {
          ...oktaCreateGroup('Large Change'),
          members: ids.slice(0, 10).map((value) => ({ value })),
        })
        .expect(200);
      const [put] = await eventsOf(group.id);
      expect(put.changes.members).toMatchObject({ added: 0, removed: 140 });
      expect(put.changes.members.removedIds).toHaveLength(100);
      // The same PUT again changes nothing.
      await scim
        .put(`/Groups/${group.id}`, {
          ...oktaCreateGroup('Large Change'),
          members: ids.slice(0, 10).map((value) => ({ value })),
        })
        .expect(200);
      const [again] = await eventsOf(group.id);
      expect(again).toMatchObject({ method: 'PUT', outcome: 'unchanged', changes: null });
    });

    async function insertMany(n: number): Promise<{ ids: string[] }> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await scim.post('/Users', userBody(`bulk${i}.changes@example.com`)).expect(201);
        ids.push(res.body.id as string);
      }
      return { ids };
    }

    it('filters by resourceId and resourceName (ignoring case), only within the tenant', async () => {
      const ann = await createUser(scim, 'Filter.Ann@example.com');
      const bob = await createUser(scim, 'filter.bob@example.com');
      await scim.patch(`/Users/${ann.id}`, OKTA_DEACTIVATE).expect(200);
      await scim.patch(`/Users/${bob.id}`, OKTA_DEACTIVATE).expect(200);
      await scim.post('/Users', userBody('FILTER.ANN@example.com')).expect(409);

      const byId = await eventsOf(ann.id);
      expect(byId.map((e) => [e.method, e.outcome])).toEqual([
        ['PATCH', 'changed'],
        ['POST', 'changed'],
      ]);
      const byName = (
        await events(tenant.adminToken, integration.id, '?resourceName=filter.ann%40EXAMPLE.com').expect(200)
      ).body.items as Json[];
      // The failed create names Ann too (it has no id: it created nothing).
      expect(byName.map((e) => [e.method, e.outcome, e.resourceId])).toEqual([
        ['POST', 'failed', null],
        ['PATCH', 'changed', ann.id],
        ['POST', 'changed', ann.id],
      ]);
      const both = (
        await events(
          tenant.adminToken,
          integration.id,
          `?resourceId=${ann.id}&resourceName=filter.bob@example.com`,
        ).expect(200)
      ).body.items;
      expect(both).toEqual([]);

      // Another tenant's admin sees nothing of it, whatever the filter: its own integration has no such events,
      // and this integration is a 404 to it.
      const stranger = await directory();
      await createUser(stranger.scim, 'filter.ann@example.com');
      const theirs = (
        await events(stranger.tenant.adminToken, stranger.integration.id, `?resourceId=${ann.id}`).expect(200)
      ).body.items;
      expect(theirs).toEqual([]);
      const theirsByName = (
        await events(
          stranger.tenant.adminToken,
          stranger.integration.id,
          '?resourceName=filter.ann@example.com',
        ).expect(200)
      ).body.items as Json[];
      expect(theirsByName).toHaveLength(1);
      expect(theirsByName[0].resourceId).not.toBe(ann.id);
      await events(stranger.tenant.adminToken, integration.id, `?resourceId=${ann.id}`).expect(404);
      await events(tenant.adminToken, integration.id, '?resourceId=not-a-uuid').expect(400);
      await events(tenant.adminToken, integration.id, `?resourceName=${'x'.repeat(257)}`).expect(400);
    });
  });

  describe('retention', () => {
    /** Made before any test of this block starts a second app (see the last two tests). */
    let busy: Awaited<ReturnType<typeof directory>>;
    beforeAll(async () => {
      busy = await directory();
    });

    async function insertAged(tenantId: string, integrationId: string, ages: Record<string, string>) {
      for (const [requestId, age] of Object.entries(ages)) {
        await t.sql(
          `INSERT INTO scim_events (tenant_id, integration_id, created_at, method, path, status, duration_ms, request_id)
           VALUES ($1, $2, now() - $3::interval, 'POST', '/Users', 201, 1, $4)`,
          [tenantId, integrationId, age, requestId],
        );
      }
    }

    async function requestIds(integrationId: string): Promise<string[]> {
      return (await rows(integrationId)).map((r) => r.request_id).sort();
    }

    it('removes only events older than 30 days by default', async () => {
      const { tenant, integration, scim } = await directory();
      await createUser(scim, 'kept@example.com');
      await insertAged(tenant.id, integration.id, { old40: '40 days', old31: '31 days', young29: '29 days' });
      const recent = (await rows(integration.id)).find(
        (r) => r.resource_name === 'kept@example.com',
      )!.request_id;
      await t.app.get(ActivityService).sweep();
      expect(await requestIds(integration.id)).toEqual([recent, 'young29'].sort());
    });

    it('goes integration by integration, across tenants, in batches: expired events go, recent ones stay', async () => {
      const a = await directory();
      const b = await directory('entra');
      // A second integration of A's tenant with only recent events, and one with none at all.
      const recentOnly = await createIntegration(t, a.tenant);
      const empty = await createIntegration(t, a.tenant);
      await insertAged(a.tenant.id, a.integration.id, {
        a40: '40 days',
        a35: '35 days',
        a31: '31 days',
        a30h: '30 days 1 hour',
        a29: '29 days',
        a1: '1 day',
      });
      await insertAged(b.tenant.id, b.integration.id, { b90: '90 days', b31: '31 days', b0: '0 seconds' });
      await insertAged(a.tenant.id, recentOnly.id, { r29: '29 days', r0: '0 seconds' });
      // Two events per delete, one integration per page: both loops go round more than once.
      const removed = await t.app.get(ActivityService).sweep(2, 1);
      expect(removed).toBeGreaterThanOrEqual(6);
      expect(await requestIds(a.integration.id)).toEqual(['a1', 'a29']);
      expect(await requestIds(b.integration.id)).toEqual(['b0']);
      expect(await requestIds(recentOnly.id)).toEqual(['r0', 'r29']);
      expect(await requestIds(empty.id)).toEqual([]);
      // Nothing is left to remove: a second sweep finds no integration past the cutoff among these.
      await t.app.get(ActivityService).sweep();
      expect(await requestIds(a.integration.id)).toEqual(['a1', 'a29']);
    });

    it("an integration's events go with it", async () => {
      const { tenant, integration } = await directory();
      await insertAged(tenant.id, integration.id, { old: '40 days', young: '1 day' });
      await request(t.http)
        .delete(`/api/v1/scim-integrations/${integration.id}`)
        .auth(tenant.adminToken, { type: 'bearer' })
        .expect(204);
      expect(await rows(integration.id)).toEqual([]);
    });

    // Last in this file: passport strategies are process-wide, so while a second app is up, and after it is
    // closed, bearer tokens are checked by that app's services (the directory is made before it starts).
    it('honours EVENTS_RETENTION_DAYS', async () => {
      const { tenant, integration } = await directory();
      await insertAged(tenant.id, integration.id, {
        d2: '2 days',
        h25: '25 hours',
        h23: '23 hours',
        now: '0 seconds',
      });
      const short = await createTestApp({ EVENTS_RETENTION_DAYS: '1' });
      try {
        await short.app.get(ActivityService).sweep();
      } finally {
        await short.close();
      }
      expect(await requestIds(integration.id)).toEqual(['h23', 'now']);
    });

    it('sweeps from two instances at once without an error, and one that shuts down mid-sweep ends its batch', async () => {
      const { tenant, integration } = busy;
      const insertMany = (n: number) =>
        t.sql(
          `INSERT INTO scim_events (tenant_id, integration_id, created_at, method, path, status, duration_ms, request_id)
           SELECT $1, $2, now() - interval '40 days', 'POST', '/Users', 201, 1, 'old-' || g
             FROM generate_series(1, $3::int) g`,
          [tenant.id, integration.id, n],
        );
      await insertMany(3000);
      await insertAged(tenant.id, integration.id, { young: '1 day' });
      const second = await createTestApp();
      let open = true;
      try {
        const mine = t.app.get(ActivityService);
        const theirs = second.app.get(ActivityService);
        // Batches of 100, taken in turns under the sweep's advisory lock: no deadlock, nothing left behind.
        const removed = await Promise.all([mine.sweep(100), theirs.sweep(100), mine.sweep(100)]);
        expect(removed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3000);
        expect(await requestIds(integration.id)).toEqual(['young']);

        await insertMany(3000);
        const warn = jest.spyOn(Logger.prototype, 'warn');
        // The second instance starts shutting down as its first batch begins.
        const sql = second.app.get(SqlService);
        const transaction = sql.transaction.bind(sql);
        let closed: Promise<void> | undefined;
        jest.spyOn(sql, 'transaction').mockImplementation(((work: never) => {
          closed ??= second.close();
          open = false;
          return transaction(work);
        }) as typeof sql.transaction);
        const stoppedAfter = await theirs.sweep(100);
        await closed;
        // It finished the batch under way (at most 100 events, of whichever integration came first) and
        // stopped there, before its connections closed: no error, and the rest was left for later.
        expect(stoppedAfter).toBeGreaterThan(0);
        expect(stoppedAfter).toBeLessThanOrEqual(100);
        expect(warn.mock.calls.filter((c) => JSON.stringify(c).includes('sync activity'))).toEqual([]);
        warn.mockRestore();
        await mine.sweep();
        expect(await requestIds(integration.id)).toEqual(['young']);
      } finally {
        if (open) await second.close();
      }
    });
  });
});
