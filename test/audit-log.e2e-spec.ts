import request from 'supertest';
import { randomUUID } from 'node:crypto';
import {
  createIntegration,
  createTenant,
  createTestApp,
  expectApiError,
  uniqueName,
  type TestApp,
  type TestTenant,
} from '@rollcall/testing';
import { hashToken } from '@rollcall/tokens';
import { scimClient } from './fixtures/scim';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

interface AuditEvent {
  id: string;
  time: string;
  actor: {
    kind: 'admin' | 'operator' | 'portal';
    tokenId: string | null;
    tokenHint: string | null;
    sessionId: string | null;
  };
  action: string;
  target: { type: string; id: string; name: string | null };
  changes: Record<string, { from?: unknown; to?: unknown }>;
  requestId: string;
}

/** An admin token as the database holds it: its id and its stored hint. */
interface AdminIdentity {
  token: string;
  id: string;
  hint: string;
}

describe('the tenant audit log', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const operator = () => as(t.operatorToken);
  const BY_OPERATOR = { kind: 'operator', tokenId: null, tokenHint: null, sessionId: null };
  const byAdmin = (who: AdminIdentity) => ({
    kind: 'admin',
    tokenId: who.id,
    tokenHint: who.hint,
    sessionId: null,
  });

  /** The admin token's id and hint as stored, found by its hash as the server finds it. */
  async function identity(token: string): Promise<AdminIdentity> {
    const rows = await t.sql<{ id: string; hint: string }>(
      `SELECT id, hint FROM api_tokens WHERE token_hash = $1 AND kind = 'admin'`,
      [hashToken(token)],
    );
    expect(rows).toHaveLength(1);
    return { token, ...rows[0] };
  }

  const auditLog = (adminToken: string, query = '') =>
    request(t.http).get(`/api/v1/audit-log${query}`).set(as(adminToken));

  /** The tenant's whole log as its admin reads it, page after page, oldest first. */
  async function readLog(adminToken: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await auditLog(adminToken, query).expect(200);
      events.push(...(res.body.items as AuditEvent[]));
      cursor = res.body.nextCursor;
    } while (cursor);
    return events.reverse();
  }

  /** The event one change should have recorded, with the request id the server answered it with. */
  function recorded(
    res: request.Response,
    actor: object,
    action: string,
    target: AuditEvent['target'],
    changes: AuditEvent['changes'] = {},
  ) {
    expect(res.headers['x-request-id']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$|^test-/));
    return {
      id: expect.stringMatching(/^\d+$/),
      time: expect.any(String),
      actor,
      action,
      target,
      changes,
      requestId: res.headers['x-request-id'],
    };
  }

  async function storedCount(tenantId: string): Promise<number> {
    const [{ n }] = await t.sql<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1`,
      [tenantId],
    );
    return Number(n);
  }

  describe('what each change records', () => {
    it("records the operator creating a tenant and its first admin token, in that tenant's log", async () => {
      const name = uniqueName('Audited');
      const res = await request(t.http).post('/api/v1/tenants').set(operator()).send({ name }).expect(201);
      const initial = await identity(res.body.adminToken);
      const log = await readLog(res.body.adminToken);
      expect(log).toEqual([
        recorded(
          res,
          BY_OPERATOR,
          'tenant.created',
          { type: 'tenant', id: res.body.id, name },
          { name: { to: name }, enabled: { to: true } },
        ),
        recorded(
          res,
          BY_OPERATOR,
          'admin_token.created',
          { type: 'admin_token', id: initial.id, name: initial.hint },
          { name: { to: 'initial' }, expiresAt: { to: null } },
        ),
      ]);
      expect(Math.abs(Date.parse(log[0].time) - Date.now())).toBeLessThan(60_000);
    });

    it('records the operator renaming, disabling and enabling a tenant: one event per fact, none for no change', async () => {
      const tenant = await createTenant(t);
      const skip = (await readLog(tenant.adminToken)).length;
      const update = (body: object) =>
        request(t.http).patch(`/api/v1/tenants/${tenant.id}`).set(operator()).send(body).expect(200);
      const name = uniqueName('Renamed');
      const both = await update({ name, enabled: false });
      await update({ name, enabled: false });
      const enabled = await update({ enabled: true });
      const target = { type: 'tenant', id: tenant.id, name };
      expect((await readLog(tenant.adminToken)).slice(skip)).toEqual([
        recorded(both, BY_OPERATOR, 'tenant.renamed', target, { name: { from: tenant.name, to: name } }),
        recorded(both, BY_OPERATOR, 'tenant.disabled', target, { enabled: { from: true, to: false } }),
        recorded(enabled, BY_OPERATOR, 'tenant.enabled', target, { enabled: { from: false, to: true } }),
      ]);
    });

    it('records admin tokens issued and revoked, naming the admin token that did it by its real hint, or the operator', async () => {
      const tenant = await createTenant(t);
      const first = await identity(tenant.adminToken);
      const skip = (await readLog(tenant.adminToken)).length;
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();

      const created = await request(t.http)
        .post('/api/v1/admin-tokens')
        .set(as(first.token))
        .send({ name: 'ci deploy', expiresAt })
        .expect(201);
      const second = await identity(created.body.token);
      expect(second.hint).toBe(created.body.hint);
      // The new token makes the next changes: the log names it, not the first one.
      const revoked = await request(t.http)
        .delete(`/api/v1/admin-tokens/${first.id}`)
        .set(as(second.token))
        .expect(204);
      // Revoking it again changes nothing, and records nothing.
      await request(t.http).delete(`/api/v1/admin-tokens/${first.id}`).set(as(second.token)).expect(204);
      const issued = await request(t.http)
        .post(`/api/v1/tenants/${tenant.id}/admin-tokens`)
        .set(operator())
        .send({ name: 'recovery' })
        .expect(201);
      const recovery = await identity(issued.body.token);
      const pulled = await request(t.http)
        .delete(`/api/v1/tenants/${tenant.id}/admin-tokens/${second.id}`)
        .set(operator())
        .expect(204);

      expect((await readLog(recovery.token)).slice(skip)).toEqual([
        recorded(
          created,
          byAdmin(first),
          'admin_token.created',
          { type: 'admin_token', id: second.id, name: second.hint },
          { name: { to: 'ci deploy' }, expiresAt: { to: expiresAt } },
        ),
        recorded(revoked, byAdmin(second), 'admin_token.revoked', {
          type: 'admin_token',
          id: first.id,
          name: first.hint,
        }),
        recorded(
          issued,
          BY_OPERATOR,
          'admin_token.created',
          { type: 'admin_token', id: recovery.id, name: recovery.hint },
          { name: { to: 'recovery' }, expiresAt: { to: null } },
        ),
        recorded(pulled, BY_OPERATOR, 'admin_token.revoked', {
          type: 'admin_token',
          id: second.id,
          name: second.hint,
        }),
      ]);
    });

    it("records groups created, renamed and deleted, with the request's own X-Request-Id; a same-name rename records nothing", async () => {
      const tenant = await createTenant(t);
      const admin = await identity(tenant.adminToken);
      const skip = (await readLog(tenant.adminToken)).length;
      const [a, b] = [uniqueName('Group'), uniqueName('Group')];
      const requestId = `test-${randomUUID()}`;
      const created = await request(t.http)
        .post('/api/v1/groups')
        .set(as(admin.token))
        .set('X-Request-Id', requestId)
        .send({ name: a })
        .expect(201);
      expect(created.headers['x-request-id']).toBe(requestId);
      const id: string = created.body.id;
      const renamed = await request(t.http)
        .patch(`/api/v1/groups/${id}`)
        .set(as(admin.token))
        .send({ name: b })
        .expect(200);
      await request(t.http).patch(`/api/v1/groups/${id}`).set(as(admin.token)).send({ name: b }).expect(200);
      const deleted = await request(t.http).delete(`/api/v1/groups/${id}`).set(as(admin.token)).expect(204);

      const log = (await readLog(tenant.adminToken)).slice(skip);
      expect(log).toEqual([
        recorded(
          created,
          byAdmin(admin),
          'group.created',
          { type: 'group', id, name: a },
          { name: { to: a } },
        ),
        recorded(
          renamed,
          byAdmin(admin),
          'group.renamed',
          { type: 'group', id, name: b },
          { name: { from: a, to: b } },
        ),
        recorded(
          deleted,
          byAdmin(admin),
          'group.deleted',
          { type: 'group', id, name: b },
          { name: { from: b } },
        ),
      ]);
      expect(log[0].requestId).toBe(requestId);
    });

    it('records integrations created (new or existing target group), renamed, disabled, enabled, moved, rotated and deleted', async () => {
      const tenant = await createTenant(t);
      const admin = await identity(tenant.adminToken);
      const who = byAdmin(admin);
      const skip = (await readLog(tenant.adminToken)).length;
      const api = {
        post: (path: string, body: object) =>
          request(t.http).post(`/api/v1${path}`).set(as(admin.token)).send(body),
        patch: (path: string, body: object) =>
          request(t.http).patch(`/api/v1${path}`).set(as(admin.token)).send(body),
      };
      const [g1, g2] = [uniqueName('Okta users'), uniqueName('Everyone')];

      const wizard = await api
        .post('/scim-integrations', { name: 'Okta', provider: 'okta', newGroupName: g1 })
        .expect(201);
      const id: string = wizard.body.id;
      const g1Id: string = wizard.body.group.id;
      const group = await api.post('/groups', { name: g2 }).expect(201);
      const second = await api
        .post('/scim-integrations', { name: 'Entra', provider: 'entra', groupId: group.body.id })
        .expect(201);
      const both = await api
        .patch(`/scim-integrations/${id}`, { name: 'Okta prod', enabled: false })
        .expect(200);
      await api.patch(`/scim-integrations/${id}`, { name: 'Okta prod', enabled: false }).expect(200);
      const enabled = await api.patch(`/scim-integrations/${id}`, { enabled: true }).expect(200);
      const moved = await api.patch(`/scim-integrations/${id}`, { groupId: group.body.id }).expect(200);
      // Naming the target group it already has (in any case) is no change.
      await api.patch(`/scim-integrations/${id}`, { groupId: group.body.id.toUpperCase() }).expect(200);
      const rotated = await api.post(`/scim-integrations/${id}/token`, { graceSeconds: 3600 }).expect(201);
      const deleted = await request(t.http)
        .delete(`/api/v1/scim-integrations/${id}`)
        .set(as(admin.token))
        .expect(204);

      const target = (name: string) => ({ type: 'integration', id, name });
      const log = (await readLog(tenant.adminToken)).slice(skip);
      expect(log).toEqual([
        recorded(wizard, who, 'group.created', { type: 'group', id: g1Id, name: g1 }, { name: { to: g1 } }),
        recorded(wizard, who, 'integration.created', target('Okta'), {
          name: { to: 'Okta' },
          provider: { to: 'okta' },
          enabled: { to: true },
          group: { to: { id: g1Id, name: g1 } },
          tokenHint: { to: wizard.body.tokenHint },
        }),
        recorded(
          group,
          who,
          'group.created',
          { type: 'group', id: group.body.id, name: g2 },
          { name: { to: g2 } },
        ),
        recorded(
          second,
          who,
          'integration.created',
          { type: 'integration', id: second.body.id, name: 'Entra' },
          {
            name: { to: 'Entra' },
            provider: { to: 'entra' },
            enabled: { to: true },
            group: { to: { id: group.body.id, name: g2 } },
            tokenHint: { to: second.body.tokenHint },
          },
        ),
        recorded(both, who, 'integration.renamed', target('Okta prod'), {
          name: { from: 'Okta', to: 'Okta prod' },
        }),
        recorded(both, who, 'integration.disabled', target('Okta prod'), {
          enabled: { from: true, to: false },
        }),
        recorded(enabled, who, 'integration.enabled', target('Okta prod'), {
          enabled: { from: false, to: true },
        }),
        recorded(moved, who, 'integration.target_group_changed', target('Okta prod'), {
          group: { from: { id: g1Id, name: g1 }, to: { id: group.body.id, name: g2 } },
        }),
        recorded(rotated, who, 'integration.token_rotated', target('Okta prod'), {
          tokenHint: { from: wizard.body.tokenHint, to: rotated.body.tokenHint },
          graceSeconds: { to: 3600 },
        }),
        recorded(deleted, who, 'integration.deleted', target('Okta prod'), {
          name: { from: 'Okta prod' },
          provider: { from: 'okta' },
          group: { from: { id: group.body.id, name: g2 } },
        }),
      ]);
      expect(wizard.body.tokenHint).not.toBe(rotated.body.tokenHint);

      // One target's history, and one kind of event.
      const history = await auditLog(admin.token, `?targetId=${id}`).expect(200);
      expect(history.body.items.map((e: AuditEvent) => e.action)).toEqual([
        'integration.deleted',
        'integration.token_rotated',
        'integration.target_group_changed',
        'integration.enabled',
        'integration.disabled',
        'integration.renamed',
        'integration.created',
      ]);
      const creations = await auditLog(admin.token, '?action=integration.created').expect(200);
      expect(creations.body).toEqual({
        items: [log[3], log[1]],
        nextCursor: null,
      });
    });
  });

  describe('a change that fails', () => {
    it('records nothing for a refused change (409, 400, 404), and the change does not happen', async () => {
      const tenant = await createTenant(t);
      const admin = as(tenant.adminToken);
      const [a, b] = [uniqueName('Group'), uniqueName('Group')];
      await request(t.http).post('/api/v1/groups').set(admin).send({ name: a }).expect(201);
      const groupB = await request(t.http).post('/api/v1/groups').set(admin).send({ name: b }).expect(201);
      const integration = await createIntegration(t, tenant, { name: 'Okta' });
      // A group the identity provider pushed: no integration may target it.
      const pushed = await scimClient(t, integration.token)
        .post('/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: uniqueName('Pushed'),
        })
        .expect(201);
      const before = await storedCount(tenant.id);
      expect(before).toBe(6);

      const refused: [request.Test, number, string][] = [
        [request(t.http).post('/api/v1/groups').set(admin).send({ name: a.toUpperCase() }), 409, 'conflict'],
        [
          request(t.http).patch(`/api/v1/groups/${groupB.body.id}`).set(admin).send({ name: a }),
          409,
          'conflict',
        ],
        [request(t.http).delete(`/api/v1/groups/${integration.groupId}`).set(admin), 409, 'conflict'],
        [
          request(t.http)
            .post('/api/v1/scim-integrations')
            .set(admin)
            .send({ name: 'Second', provider: 'okta', newGroupName: a }),
          409,
          'conflict',
        ],
        [
          request(t.http)
            .patch(`/api/v1/scim-integrations/${integration.id}`)
            .set(admin)
            .send({ name: 'Renamed', enabled: false, groupId: pushed.body.id }),
          400,
          'validation_failed',
        ],
        [
          request(t.http).patch(`/api/v1/scim-integrations/${NO_SUCH_ID}`).set(admin).send({ name: 'x' }),
          404,
          'not_found',
        ],
        [
          request(t.http).post(`/api/v1/scim-integrations/${NO_SUCH_ID}/token`).set(admin).send({}),
          404,
          'not_found',
        ],
        [request(t.http).delete(`/api/v1/admin-tokens/${NO_SUCH_ID}`).set(admin), 404, 'not_found'],
        [
          request(t.http).patch(`/api/v1/tenants/${tenant.id}`).set(operator()).send({ enabled: 'no' }),
          400,
          'validation_failed',
        ],
      ];
      for (const [r, status, code] of refused) expectApiError(await r, status, code);

      expect(await storedCount(tenant.id)).toBe(before);
      const details = await request(t.http)
        .get(`/api/v1/scim-integrations/${integration.id}`)
        .set(admin)
        .expect(200);
      expect(details.body).toMatchObject({ name: 'Okta', enabled: true, group: { id: integration.groupId } });
    });

    it('rolls the change back when its audit event cannot be written', async () => {
      const tenant = await createTenant(t);
      const admin = as(tenant.adminToken);
      const group = await request(t.http)
        .post('/api/v1/groups')
        .set(admin)
        .send({ name: 'Before' })
        .expect(201);
      const before = await storedCount(tenant.id);
      // The database refuses this tenant's next audit rows, as a full disk or a lost connection would.
      const refuse = `refuse_audit_${tenant.id.replace(/-/g, '')}`;
      await t.sql(
        `CREATE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
      );
      await t.sql(
        `CREATE TRIGGER ${refuse} BEFORE INSERT ON audit_events FOR EACH ROW
          WHEN (NEW.tenant_id = '${tenant.id}'::uuid) EXECUTE FUNCTION ${refuse}()`,
      );
      try {
        expectApiError(
          await request(t.http).patch(`/api/v1/groups/${group.body.id}`).set(admin).send({ name: 'After' }),
          500,
          'internal_error',
        );
        expectApiError(
          await request(t.http)
            .post('/api/v1/scim-integrations')
            .set(admin)
            .send({ name: 'Okta', provider: 'okta', newGroupName: 'Okta users' }),
          500,
          'internal_error',
        );
        expectApiError(
          await request(t.http)
            .delete(`/api/v1/admin-tokens/${(await identity(tenant.adminToken)).id}`)
            .set(admin),
          500,
          'internal_error',
        );
      } finally {
        await t.sql(`DROP TRIGGER ${refuse} ON audit_events`);
        await t.sql(`DROP FUNCTION ${refuse}()`);
      }
      // None of the three changes happened: the name, the groups, the integrations and the token are as before.
      const groups = await request(t.http).get('/api/v1/groups').set(admin).expect(200);
      expect(groups.body.items.map((g: { name: string }) => g.name)).toEqual(['Before']);
      const integrations = await request(t.http).get('/api/v1/scim-integrations').set(admin).expect(200);
      expect(integrations.body).toEqual([]);
      expect(await storedCount(tenant.id)).toBe(before);
    });
  });

  describe('secrets', () => {
    it('never holds a token, part of one beyond its hint, or its hash: not in the rows, not in the answers', async () => {
      const tenant = await createTenant(t);
      const admin = as(tenant.adminToken);
      const created = await request(t.http)
        .post('/api/v1/admin-tokens')
        .set(admin)
        .send({ name: 'x' })
        .expect(201);
      const issued = await request(t.http)
        .post(`/api/v1/tenants/${tenant.id}/admin-tokens`)
        .set(operator())
        .send({})
        .expect(201);
      await request(t.http).delete(`/api/v1/admin-tokens/${created.body.id}`).set(admin).expect(204);
      const integration = await createIntegration(t, tenant);
      const rotated = await request(t.http)
        .post(`/api/v1/scim-integrations/${integration.id}/token`)
        .set(admin)
        .send({ graceSeconds: 60 })
        .expect(201);
      const again = await request(t.http)
        .post(`/api/v1/scim-integrations/${integration.id}/token`)
        .set(admin)
        .send({})
        .expect(201);
      const tokens: string[] = [
        tenant.adminToken,
        created.body.token,
        issued.body.token,
        integration.token,
        rotated.body.token,
        again.body.token,
        t.operatorToken,
      ];

      const rows = await t.sql<{ row: string }>(
        `SELECT row_to_json(a)::text AS row FROM audit_events a WHERE tenant_id = $1`,
        [tenant.id],
      );
      expect(rows).toHaveLength(9);
      const stored = rows.map((r) => r.row).join('\n');
      const answered = JSON.stringify(await readLog(tenant.adminToken));
      for (const text of [stored, answered]) {
        // The log does show tokens by their hints (prefix and last four characters), as every list does.
        expect(text).toContain(again.body.tokenHint);
        for (const token of tokens) {
          expect(text).not.toContain(token);
          // Nor a piece of its secret part: the 43 random characters before the 6 of the checksum.
          expect(text).not.toContain(token.slice(-49, -33));
          expect(text).not.toContain(token.slice(-12));
          expect(text).not.toContain(hashToken(token).toString('hex'));
          expect(text).not.toContain(hashToken(token).toString('base64'));
        }
      }
    });
  });

  describe('reading it', () => {
    it('pages newest first with an opaque cursor: every event once, in order, over many pages', async () => {
      const tenant = await createTenant(t);
      for (let i = 0; i < 23; i++) {
        await request(t.http)
          .post('/api/v1/groups')
          .set(as(tenant.adminToken))
          .send({ name: `Group ${i}` })
          .expect(201);
      }
      const whole = await auditLog(tenant.adminToken).expect(200);
      expect(whole.body.nextCursor).toBeNull();
      const all: AuditEvent[] = whole.body.items;
      expect(all.map((e) => e.action)).toEqual([
        ...Array<string>(23).fill('group.created'),
        'admin_token.created',
        'tenant.created',
      ]);
      expect(all.slice(0, 23).map((e) => e.target.name)).toEqual(
        Array.from({ length: 23 }, (_, i) => `Group ${22 - i}`),
      );
      for (let i = 1; i < all.length; i++) {
        const [newer, older] = [all[i - 1], all[i]];
        expect(Date.parse(newer.time)).toBeGreaterThanOrEqual(Date.parse(older.time));
        expect(BigInt(newer.id) > BigInt(older.id)).toBe(true);
      }

      for (const limit of [4, 1]) {
        const pages: AuditEvent[][] = [];
        let cursor: string | null = null;
        do {
          const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const res = await auditLog(tenant.adminToken, query).expect(200);
          pages.push(res.body.items);
          cursor = res.body.nextCursor;
          if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        } while (cursor && pages.length < 30);
        const sizes = pages.map((p) => p.length);
        expect(sizes).toEqual(limit === 4 ? [4, 4, 4, 4, 4, 4, 1] : Array<number>(25).fill(1));
        // No duplicate, no gap: the pages put together are the whole log. At limit 1 the cursor also separates
        // the tenant's first two events, written by one transaction at one time.
        expect(pages.flat()).toEqual(all);
      }
    });

    it.each([
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=1.5', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('2020-02-31 00:00:00+00|1').toString('base64url')}`, 'cursor'],
      [`?cursor=${Buffer.from('2020-01-01 00:00:00+00|x').toString('base64url')}`, 'cursor'],
      ['?action=group.exploded', 'action'],
      ['?targetId=nope', 'targetId'],
      ['?since=yesterday', 'since'],
    ])('refuses %s: 400 in the settings error shape, naming %s', async (query, field) => {
      const tenant = await createTenant(t);
      const res = await auditLog(tenant.adminToken, query);
      expectApiError(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it("keeps tenants apart: an admin reads only its tenant's events, whatever it filters or sends as cursor", async () => {
      const a = await createTenant(t);
      const b = await createTenant(t);
      const groupA = await request(t.http)
        .post('/api/v1/groups')
        .set(as(a.adminToken))
        .send({ name: 'Shared name' })
        .expect(201);
      const integrationA = await createIntegration(t, a);
      await request(t.http)
        .post('/api/v1/groups')
        .set(as(b.adminToken))
        .send({ name: 'Shared name' })
        .expect(201);

      const logB = await readLog(b.adminToken);
      expect(logB.map((e) => e.action)).toEqual(['tenant.created', 'admin_token.created', 'group.created']);
      const factsOfA = [a.id, groupA.body.id, integrationA.id, integrationA.groupId, a.name];
      const expectNothingOfA = (events: unknown) => {
        const text = JSON.stringify(events);
        for (const value of factsOfA) expect(text).not.toContain(value);
      };
      expectNothingOfA(logB);
      for (const query of [
        `?targetId=${groupA.body.id}`,
        `?targetId=${a.id}`,
        `?targetId=${integrationA.id}`,
        '?action=integration.created',
      ]) {
        const res = await auditLog(b.adminToken, query).expect(200);
        expect(res.body).toEqual({ items: [], nextCursor: null });
      }
      // A cursor from A's log, in B's hands, still reads only B's log.
      const pageA = await auditLog(a.adminToken, '?limit=1').expect(200);
      expect(pageA.body.nextCursor).toEqual(expect.any(String));
      const withCursorOfA = await auditLog(
        b.adminToken,
        `?cursor=${encodeURIComponent(pageA.body.nextCursor)}`,
      ).expect(200);
      expect(withCursorOfA.body.items.map((e: AuditEvent) => e.action)).toEqual([
        'admin_token.created',
        'tenant.created',
      ]);
      expectNothingOfA(withCursorOfA.body);
      // A's own log has A's events only.
      const logA = await readLog(a.adminToken);
      expect(logA.map((e) => e.action)).toEqual([
        'tenant.created',
        'admin_token.created',
        'group.created',
        'group.created',
        'integration.created',
      ]);
      expect(JSON.stringify(logA)).not.toContain(b.id);
    });

    describe('the operator', () => {
      let tenant: TestTenant;
      const path = (id = tenant.id) => `/api/v1/tenants/${id}/audit-log`;

      beforeAll(async () => {
        tenant = await createTenant(t);
        await createIntegration(t, tenant);
      });

      it("reads any tenant's log: the same events its admins read, with the same pagination", async () => {
        const all = await readLog(tenant.adminToken);
        expect(all).toHaveLength(4);
        const whole = await request(t.http).get(path()).set(operator()).expect(200);
        expect(whole.body).toEqual({ items: [...all].reverse(), nextCursor: null });
        const first = await request(t.http).get(`${path()}?limit=3`).set(operator()).expect(200);
        const rest = await request(t.http)
          .get(`${path()}?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`)
          .set(operator())
          .expect(200);
        expect([...first.body.items, ...rest.body.items]).toEqual(whole.body.items);
        expect(rest.body.nextCursor).toBeNull();
        const filtered = await request(t.http)
          .get(`${path()}?action=group.created`)
          .set(operator())
          .expect(200);
        expect(filtered.body.items).toEqual([all[2]]);
      });

      it('answers 404 for an unknown tenant, 400 for a malformed id or query, 401 for an admin token', async () => {
        expectApiError(await request(t.http).get(path(NO_SUCH_ID)).set(operator()), 404, 'not_found');
        const badId = await request(t.http).get(path('nope')).set(operator());
        expectApiError(badId, 400, 'validation_failed');
        expect(badId.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
        expectApiError(
          await request(t.http).get(`${path()}?cursor=nope`).set(operator()),
          400,
          'validation_failed',
        );
        const asAdmin = await request(t.http).get(path()).set(as(tenant.adminToken));
        expectApiError(asAdmin, 401, 'unauthorized');
        expect(asAdmin.body.message).toContain('operator');
      });

      it('cannot read through the admin endpoint, which needs an admin token', async () => {
        const res = await request(t.http).get('/api/v1/audit-log').set(operator());
        expectApiError(res, 401, 'unauthorized');
        expect(res.body.message).toContain('admin');
      });
    });

    it('is documented in the OpenAPI document with its query and page schema', async () => {
      const doc = (await request(t.http).get('/docs-json').expect(200)).body;
      for (const path of ['/api/v1/audit-log', '/api/v1/tenants/{id}/audit-log']) {
        const op = doc.paths[path]?.get;
        expect(op?.summary).toEqual(expect.any(String));
        expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
          expect.arrayContaining(['action', 'targetId', 'cursor', 'limit']),
        );
        expect(op.responses['200'].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/AuditLogPageDto',
        });
      }
      expect(doc.components.schemas.AuditEventDto.required).toEqual(
        expect.arrayContaining(['id', 'time', 'actor', 'action', 'target', 'changes', 'requestId']),
      );
    });
  });
});
