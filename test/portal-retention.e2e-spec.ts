import { jest } from '@jest/globals';
import request from 'supertest';
import { Clock } from '@rollcall/common';
import {
  createTenant,
  createTestApp,
  openPortalLink,
  type TestApp,
  type TestTenant,
} from '@rollcall/testing';
import { hashToken, PortalRetentionService } from '@rollcall/tokens';

const HOUR = 3600;
const DAY = 24 * HOUR;
const IDLE_SECONDS = 1800;
const LINK_SECONDS = 300;

/** A portal link as the test made it: its URL and its row's id. */
interface Link {
  url: string;
  id: string;
}

/** A portal session as a browser holds it, and its row's id. */
interface Session {
  cookie: string;
  csrf: string;
  id: string;
  link: Link;
}

/**
 * The sweep deletes in every tenant at once, and other test files share the database (and sweep it on their own
 * timers, with their own clocks, moved at most a few hours ahead): so this file makes its old rows by moving its
 * clock back, sweeps at about the real time, keeps what must stay well inside the grace period, and asserts what
 * is stored rather than what one sweep counted.
 */
describe('retention of the admin portal’s links and sessions', () => {
  let t: TestApp;
  let clock: Clock;
  let retention: PortalRetentionService;

  beforeAll(async () => {
    t = await createTestApp();
    clock = t.app.get(Clock);
    retention = t.app.get(PortalRetentionService);
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const http = () => request(t.http);

  /** Sets the server's clock `seconds` away from the real time (negative: into the past). */
  function at(seconds: number): void {
    jest.restoreAllMocks();
    const now = Date.now();
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(now + seconds * 1000));
  }

  /** Sweeps at the server's clock as it is now. */
  async function sweep(): Promise<void> {
    await retention.sweep();
  }

  async function createLink(tenant: TestTenant): Promise<Link> {
    const res = await http()
      .post('/api/v1/portal-links')
      .auth(tenant.adminToken, { type: 'bearer' })
      .send({})
      .expect(201);
    const url = res.body.url as string;
    const code = new URL(url).searchParams.get('code')!;
    const [row] = await t.sql<{ id: string }>(
      `SELECT id FROM portal_links WHERE tenant_id = $1 AND code_hash = $2`,
      [tenant.id, hashToken(code)],
    );
    return { url, id: row.id };
  }

  /** Makes a link and opens it as a browser does: a session, last seen now (by the server's clock). */
  async function openPortal(tenant: TestTenant): Promise<Session> {
    const link = await createLink(tenant);
    return { ...(await openPortalLink(t, link.url)), link };
  }

  async function revoke(tenant: TestTenant, s: Session): Promise<void> {
    await http()
      .delete(`/api/v1/portal-sessions/${s.id}`)
      .auth(tenant.adminToken, { type: 'bearer' })
      .expect(204);
  }

  async function logout(s: Session): Promise<void> {
    await http()
      .post('/api/v1/portal/logout')
      .set('Cookie', s.cookie)
      .set('X-CSRF-Token', s.csrf)
      .expect(204);
  }

  async function sessionIds(tenant: TestTenant): Promise<string[]> {
    const rows = await t.sql<{ id: string }>(`SELECT id FROM portal_sessions WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    return rows.map((r) => r.id).sort();
  }

  async function linkIds(tenant: TestTenant): Promise<string[]> {
    const rows = await t.sql<{ id: string }>(`SELECT id FROM portal_links WHERE tenant_id = $1`, [tenant.id]);
    return rows.map((r) => r.id).sort();
  }

  /** The tenant's audit events about the portal, as `action target`, sorted. */
  async function portalAudit(tenant: TestTenant): Promise<string[]> {
    const rows = await t.sql<{ action: string; target_id: string }>(
      `SELECT action, target_id FROM audit_events WHERE tenant_id = $1 AND action LIKE 'portal%'`,
      [tenant.id],
    );
    return rows.map((r) => `${r.action} ${r.target_id}`).sort();
  }

  const ids = (...xs: { id: string }[]) => xs.map((x) => x.id).sort();

  it('keeps a used link and its live session, even when the link was used more than a day ago', async () => {
    const tenant = await createTenant(t);
    const fresh = await openPortal(tenant);
    // An admin at work for a day and more: one request every half idle time keeps the session alive.
    at(-(DAY + 2 * HOUR));
    const long = await openPortal(tenant);
    for (let s = -(DAY + 2 * HOUR) + IDLE_SECONDS / 2; s < 0; s += IDLE_SECONDS / 2) {
      at(s);
      await http().get('/api/v1/groups').set('Cookie', long.cookie).expect(200);
    }
    at(0);
    await http().get('/api/v1/groups').set('Cookie', long.cookie).expect(200);
    const [used] = await t.sql<{ used_at: Date }>(
      `SELECT used_at FROM portal_links WHERE tenant_id = $1 AND id = $2`,
      [tenant.id, long.link.id],
    );
    expect(Date.now() - used.used_at.getTime()).toBeGreaterThan(DAY * 1000);

    await sweep();
    expect(await sessionIds(tenant)).toEqual(ids(fresh, long));
    expect(await linkIds(tenant)).toEqual(ids(fresh.link, long.link));
    // Both still work.
    await http().get('/api/v1/groups').set('Cookie', fresh.cookie).expect(200);
    await http().get('/api/v1/groups').set('Cookie', long.cookie).expect(200);
  });

  it('deletes a session revoked more than a day ago, then its link; keeps one revoked an hour ago, and the audit log', async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const third = await createTenant(t);
    at(-2 * DAY);
    const old = await openPortal(tenant);
    await revoke(tenant, old);
    const loggedOut = await openPortal(tenant);
    await logout(loggedOut);
    // Another tenant's: the same rules, in every tenant.
    const theirsOld = await openPortal(third);
    await revoke(third, theirsOld);
    at(-HOUR);
    const recent = await openPortal(tenant);
    await revoke(tenant, recent);
    at(0);
    const live = await openPortal(other);
    const unused = await createLink(other);
    const auditBefore = await portalAudit(tenant);
    expect(auditBefore).toHaveLength(9);

    await sweep();
    expect(await sessionIds(tenant)).toEqual(ids(recent));
    expect(await linkIds(tenant)).toEqual(ids(recent.link));
    expect(await sessionIds(third)).toEqual([]);
    expect(await linkIds(third)).toEqual([]);
    expect(await sessionIds(other)).toEqual(ids(live));
    expect(await linkIds(other)).toEqual(ids(live.link, unused));
    await http().get('/api/v1/groups').set('Cookie', live.cookie).expect(200);
    // The audit log still says who made each link, and when each session started and ended.
    expect(await portalAudit(tenant)).toEqual(auditBefore);
    expect(auditBefore).toEqual(
      [
        ...[old, loggedOut, recent].flatMap((s) => [
          `portal_link.created ${s.link.id}`,
          `portal_session.started ${s.id}`,
        ]),
        `portal_session.revoked ${old.id}`,
        `portal_session.logged_out ${loggedOut.id}`,
        `portal_session.revoked ${recent.id}`,
      ].sort(),
    );
  });

  it('deletes a session more than a day past its idle end, and its link; keeps one that ended 20 hours ago', async () => {
    const tenant = await createTenant(t);
    at(-(DAY + IDLE_SECONDS + 10 * 60));
    const idle = await openPortal(tenant);
    at(-(20 * HOUR + IDLE_SECONDS));
    const ended = await openPortal(tenant);
    at(0);
    // Both are over: neither is listed nor accepted.
    await http().get('/api/v1/groups').set('Cookie', idle.cookie).expect(401);
    await http().get('/api/v1/groups').set('Cookie', ended.cookie).expect(401);
    expect(await sessionIds(tenant)).toEqual(ids(idle, ended));

    await sweep();
    expect(await sessionIds(tenant)).toEqual(ids(ended));
    expect(await linkIds(tenant)).toEqual(ids(ended.link));
    expect(await portalAudit(tenant)).toContain(`portal_session.started ${idle.id}`);
  });

  it('deletes a link that expired unopened only once the grace period is over', async () => {
    const tenant = await createTenant(t);
    at(-(12 * HOUR + LINK_SECONDS));
    const expired = await createLink(tenant);
    at(-LINK_SECONDS);
    const justExpired = await createLink(tenant);
    at(0);
    const open = await createLink(tenant);

    await sweep();
    expect(await linkIds(tenant)).toEqual(ids(expired, justExpired, open));
    // 13 hours on, the first expired a day and an hour ago; the second, 13 hours ago.
    at(13 * HOUR);
    await sweep();
    expect(await linkIds(tenant)).toEqual(ids(justExpired, open));
    expect(await portalAudit(tenant)).toContain(`portal_link.created ${expired.id}`);
  });

  // Last in this file: passport strategies are process-wide, so while a second app is up, and after it is
  // closed, bearer tokens are checked by that app's services.
  it('sweeps from two instances at once without an error, in batches, and lets one stop in the middle', async () => {
    const tenant = await createTenant(t);
    const keep = await openPortal(tenant);
    // More than two batches of ended sessions, each with its link, made three days ago.
    const n = 2500;
    await t.sql(
      `WITH links AS (
         INSERT INTO portal_links (tenant_id, code_hash, created_at, expires_at, used_at, created_by_kind)
         SELECT $1, sha256(uuid_send(gen_random_uuid())), now() - interval '3 days', now() - interval '3 days' + interval '5 minutes',
                now() - interval '3 days', 'operator'
           FROM generate_series(1, $2::int) g
         RETURNING tenant_id, id, used_at)
       INSERT INTO portal_sessions (tenant_id, link_id, secret_hash, hint, created_at, last_seen_at, revoked_at)
       SELECT tenant_id, id, sha256(uuid_send(gen_random_uuid())), 'rc_ps_…test', used_at, used_at, used_at + interval '1 minute'
         FROM links`,
      [tenant.id, n],
    );
    expect(await sessionIds(tenant)).toHaveLength(n + 1);
    const second = await createTestApp();
    let open = true;
    try {
      const theirs = second.app.get(PortalRetentionService);
      const results = await Promise.all([retention.sweep(), theirs.sweep(), retention.sweep()]);
      expect(results).toHaveLength(3);
      expect(await sessionIds(tenant)).toEqual(ids(keep));
      expect(await linkIds(tenant)).toEqual(ids(keep.link));

      // The same again, and the second instance shuts down while it sweeps: it finishes its batch, then stops.
      await t.sql(
        `WITH links AS (
           INSERT INTO portal_links (tenant_id, code_hash, created_at, expires_at, created_by_kind)
           SELECT $1, sha256(uuid_send(gen_random_uuid())), now() - interval '3 days', now() - interval '3 days' + interval '5 minutes', 'operator'
             FROM generate_series(1, $2::int) g
           RETURNING 1)
         SELECT count(*) FROM links`,
        [tenant.id, n],
      );
      const stopping = theirs.sweep();
      const closed = second.close();
      open = false;
      await expect(stopping).resolves.toEqual({ sessions: expect.any(Number), links: expect.any(Number) });
      await closed;
      await retention.sweep();
      expect(await linkIds(tenant)).toEqual(ids(keep.link));
    } finally {
      if (open) await second.close();
    }
    await http().get('/api/v1/portal/session').set('Cookie', keep.cookie).expect(200);
  });
});
