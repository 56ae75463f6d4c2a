import { jest } from '@jest/globals';
import { Writable } from 'node:stream';
import request from 'supertest';
import { Clock } from '@rollcall/common';
import {
  createIntegration,
  createTenant,
  createTestApp,
  expectApiError,
  openPortalLink,
  TEST_PUBLIC_URL,
  uniqueName,
  type TestApp,
  type TestPortalSession,
  type TestTenant,
} from '@rollcall/testing';
import { generateToken, hashToken, parseToken, tokenHint } from '@rollcall/tokens';
import { waitFor } from './fixtures/http';
import { SCIM_ERROR, type Json } from './fixtures/scim';

const IDLE_SECONDS = 1800;
/** The cookie's name: the test app's PUBLIC_URL is https, so it has the `__Host-` prefix. */
const COOKIE = '__Host-rollcall_portal';
const LINK_SECONDS = 300;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

/** A portal session as a browser holds it: the cookie it was given, and the CSRF token its page read. */
type Session = TestPortalSession;

/** The attributes of a Set-Cookie line, by lower-case name (the first one is the cookie itself). */
function attributes(setCookie: string): Map<string, string> {
  return new Map(
    setCookie.split(';').map((part) => {
      const [name, ...value] = part.trim().split('=');
      return [name.toLowerCase(), value.join('=')];
    }),
  );
}

function setCookieOf(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

/** The path and query of a portal link's URL, to open it on the test server. */
function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function codeOf(url: string): string {
  return new URL(url).searchParams.get('code')!;
}

/** The code the landing page's form will post. */
function formCodeOf(html: string): string {
  const match = /<input type="hidden" name="code" value="([^"]*)">/.exec(html);
  if (!match) throw new Error(`No Continue form in: ${html}`);
  return match[1];
}

describe('the admin portal: links, sessions, cookie authentication and CSRF', () => {
  let t: TestApp;
  let clock: Clock;
  const logLines: string[] = [];
  /** Every code, session secret and CSRF token this file handles: none may reach a log line or a row. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        callback();
      },
    });
    t = await createTestApp({ LOG_LEVEL: 'info' }, { logStream: sink });
    clock = t.app.get(Clock);
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const http = () => request(t.http);
  const bearer = (r: request.Test, token: string) => r.auth(token, { type: 'bearer' });

  /** Moves the server's clock `seconds` ahead of the real time. */
  function later(seconds: number): void {
    const now = Date.now();
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(now + seconds * 1000));
  }

  async function createLink(token: string, body: object = {}): Promise<{ url: string; expiresAt: string }> {
    const res = await bearer(http().post('/api/v1/portal-links'), token).send(body).expect(201);
    secrets.add(codeOf(res.body.url));
    return res.body;
  }

  /** The landing page's Continue, as a browser submits it from that page. */
  function submit(app: TestApp, code: string | string[]): request.Test {
    const form = new URLSearchParams();
    for (const c of [code].flat()) form.append('code', c);
    return request(app.http)
      .post('/portal/start')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('Sec-Fetch-Site', 'same-origin')
      .send(form.toString());
  }

  /** Opens a link as a browser does (the landing page, then its Continue) and keeps the cookie it is given. */
  async function exchange(url: string, app: TestApp = t): Promise<Omit<Session, 'csrf' | 'id'>> {
    const landing = await request(app.http).get(pathOf(url)).expect(200);
    const res = await submit(app, formCodeOf(landing.text)).expect(303);
    const [line] = setCookieOf(res);
    const cookie = line.split(';')[0];
    const secret = cookie.slice(`${COOKIE}=`.length);
    secrets.add(secret);
    return { cookie, secret };
  }

  async function openPortal(tenant: TestTenant): Promise<Session> {
    const { url } = await createLink(tenant.adminToken);
    const session = await openPortalLink(t, url);
    secrets.add(session.secret);
    secrets.add(session.csrf);
    return session;
  }

  /** A request through the session's cookie, with its CSRF token unless told otherwise. */
  function through(s: Session, r: request.Test, csrf: string | null = s.csrf): request.Test {
    const withCookie = r.set('Cookie', s.cookie);
    return csrf === null ? withCookie : withCookie.set('X-CSRF-Token', csrf);
  }

  async function auditOf(tenant: TestTenant, action: string): Promise<Json[]> {
    const res = await bearer(http().get(`/api/v1/audit-log?action=${action}`), tenant.adminToken).expect(200);
    return res.body.items;
  }

  describe('POST /api/v1/portal-links', () => {
    it('gives an admin a one-time URL into its own tenant, valid for PORTAL_LINK_TTL_SECONDS', async () => {
      const tenant = await createTenant(t);
      const before = Date.now();
      const res = await bearer(http().post('/api/v1/portal-links'), tenant.adminToken).send({}).expect(201);
      expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'url']);
      const url = new URL(res.body.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${TEST_PUBLIC_URL}/portal/start`);
      expect([...url.searchParams.keys()]).toEqual(['code']);
      const code = url.searchParams.get('code')!;
      secrets.add(code);
      // Its own kind of token: its tenant, 43 base62 characters of body (256 random bits) and a checksum.
      expect(parseToken(code)).toEqual({ kind: 'portalLink', tenantId: tenant.id });
      expect(code).toMatch(/^rc_pl_[0-9A-Za-z]{22}[0-9A-Za-z]{43}[0-9A-Za-z]{6}$/);
      const expiresAt = new Date(res.body.expiresAt).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + LINK_SECONDS * 1000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + LINK_SECONDS * 1000);
      // Stored as its SHA-256 hash only.
      const rows = await t.sql<Json>(`SELECT * FROM portal_links WHERE tenant_id = $1`, [tenant.id]);
      expect(rows).toHaveLength(1);
      expect((rows[0].code_hash as Buffer).equals(hashToken(code))).toBe(true);
      expect(rows[0].used_at).toBeNull();
      expect(rows[0].created_by_kind).toBe('admin');
      // Two links are two codes.
      const other = await createLink(tenant.adminToken);
      expect(codeOf(other.url)).not.toBe(code);
    });

    it('takes the admin’s own tenant id, and refuses another tenant’s (403)', async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      await createLink(tenant.adminToken, { tenantId: tenant.id });
      const res = await bearer(http().post('/api/v1/portal-links'), tenant.adminToken).send({
        tenantId: other.id,
      });
      expectApiError(res, 403, 'forbidden');
      expect(await t.sql(`SELECT 1 FROM portal_links WHERE tenant_id = $1`, [other.id])).toEqual([]);
    });

    it('gives the operator a link into the tenant it names; no tenant is 400, an unknown one 404', async () => {
      const tenant = await createTenant(t);
      const link = await createLink(t.operatorToken, { tenantId: tenant.id });
      expect(parseToken(codeOf(link.url))).toEqual({ kind: 'portalLink', tenantId: tenant.id });
      expectApiError(
        await bearer(http().post('/api/v1/portal-links'), t.operatorToken).send({}),
        400,
        'validation_failed',
      );
      expectApiError(
        await bearer(http().post('/api/v1/portal-links'), t.operatorToken).send({ tenantId: 'acme' }),
        400,
        'validation_failed',
      );
      expectApiError(
        await bearer(http().post('/api/v1/portal-links'), t.operatorToken).send({ tenantId: NO_SUCH_ID }),
        404,
        'not_found',
      );
      // The operator's link opens the tenant's portal like an admin's.
      const { cookie } = await exchange(link.url);
      const info = await http().get('/api/v1/portal/session').set('Cookie', cookie).expect(200);
      expect(info.body).toEqual(expect.objectContaining({ tenantId: tenant.id, tenantName: tenant.name }));
    });

    it('records who made each link in the audit log (portal_link.created)', async () => {
      const tenant = await createTenant(t);
      await createLink(tenant.adminToken);
      await createLink(t.operatorToken, { tenantId: tenant.id });
      const events = await auditOf(tenant, 'portal_link.created');
      expect(events.map((e) => e.actor.kind).sort()).toEqual(['admin', 'operator']);
      for (const e of events) {
        expect(e.target.type).toBe('portal_link');
        expect(e.changes).toEqual({ expiresAt: { to: expect.any(String) } });
      }
    });

    it('refuses an unauthenticated request and a SCIM token (401)', async () => {
      const { token } = await createIntegration(t, await createTenant(t));
      expectApiError(await http().post('/api/v1/portal-links').send({}), 401, 'unauthorized');
      expectApiError(await bearer(http().post('/api/v1/portal-links'), token).send({}), 401, 'unauthorized');
    });
  });

  describe('/portal/start', () => {
    function expectPage(res: request.Response, status: number, heading: RegExp): void {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(setCookieOf(res)).toEqual([]);
      expect(res.text).toMatch(/^<!doctype html>\n<html lang="en">/);
      expect(res.text).toMatch(/<meta name="viewport"/);
      expect(res.text).toMatch(new RegExp(`<h1>${heading.source}</h1>`));
    }

    function expectRefusal(res: request.Response, status: number, heading: RegExp): void {
      expectPage(res, status, heading);
      expect(res.text).not.toContain('<form');
    }

    async function sessionCount(tenant: TestTenant): Promise<number> {
      return (await t.sql(`SELECT id FROM portal_sessions WHERE tenant_id = $1`, [tenant.id])).length;
    }

    it('GET shows a page naming the organisation with a Continue button, and uses nothing up', async () => {
      const tenant = await createTenant(t, `${uniqueName('Acme')} <R&D> "EU"`);
      const { url } = await createLink(tenant.adminToken);
      const code = codeOf(url);
      const escaped = tenant.name
        .replace('&', '&amp;')
        .replace('<', '&lt;')
        .replace('>', '&gt;')
        .replace(/"/g, '&quot;');
      // A mail scanner, a link preview and then the person: each gets the same page, and the link stays usable.
      for (let i = 0; i < 3; i++) {
        const res = await http().get(pathOf(url));
        expectPage(res, 200, /Set up SCIM provisioning/);
        expect(res.text).toContain(`<strong>${escaped}</strong>`);
        expect(res.text).not.toContain(tenant.name);
        // The link's page names its origin on Continue's POST (no-referrer would make it `Origin: null`).
        expect(res.headers['referrer-policy']).toBe('same-origin');
        // No script may run on it, its form posts to this server only, and no other site may frame it.
        const csp = res.headers['content-security-policy'];
        expect(csp).toMatch(/^default-src 'none';/);
        expect(csp).not.toContain('script-src');
        expect(csp).toContain("form-action 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.text).toContain('<meta name="referrer" content="same-origin">');
        expect(res.text).toContain('<form method="post" action="/portal/start">');
        expect(formCodeOf(res.text)).toBe(code);
        expect(res.text).toMatch(/<button type="submit" autofocus>Continue to the admin portal<\/button>/);
        expect(res.text).toContain(`idle for ${IDLE_SECONDS / 60} minutes`);
      }
      const [link] = await t.sql<Json>(`SELECT used_at FROM portal_links WHERE tenant_id = $1`, [tenant.id]);
      expect(link.used_at).toBeNull();
      expect(await sessionCount(tenant)).toBe(0);
      expect(await auditOf(tenant, 'portal_session.started')).toEqual([]);
    });

    it('Continue exchanges the code for a session: 303 to /portal/ with an HttpOnly, Secure, SameSite=Strict cookie', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      const res = await submit(t, codeOf(url)).expect(303);
      expect(res.headers.location).toBe('/portal/');
      expect(res.headers['cache-control']).toBe('no-store');
      const lines = setCookieOf(res);
      expect(lines).toHaveLength(1);
      const cookie = attributes(lines[0]);
      const secret = cookie.get(COOKIE.toLowerCase())!;
      secrets.add(secret);
      expect(parseToken(secret)).toEqual({ kind: 'portalSession', tenantId: tenant.id });
      expect([...cookie.keys()].sort()).toEqual(
        ['httponly', 'max-age', 'path', COOKIE.toLowerCase(), 'samesite', 'secure'].sort(),
      );
      expect(cookie.get('path')).toBe('/');
      expect(cookie.get('samesite')).toBe('Strict');
      expect(cookie.get('max-age')).toBe(String(IDLE_SECONDS));
      // Over https only the `__Host-` cookie counts: the same secret under the plain name (as a sibling subdomain
      // could set it) opens nothing.
      await http().get('/api/v1/portal/session').set('Cookie', `${COOKIE}=${secret}`).expect(200);
      expectApiError(
        await http().get('/api/v1/portal/session').set('Cookie', `rollcall_portal=${secret}`),
        401,
        'unauthorized',
      );
      // The session is stored by its hash, with the link it came from, which is now used.
      const [row] = await t.sql<Json>(
        `SELECT s.*, l.used_at FROM portal_sessions s JOIN portal_links l ON l.tenant_id = s.tenant_id AND l.id = s.link_id
          WHERE s.tenant_id = $1`,
        [tenant.id],
      );
      expect((row.secret_hash as Buffer).equals(hashToken(secret))).toBe(true);
      expect(row.hint).toBe(tokenHint(secret));
      expect(row.revoked_at).toBeNull();
      expect(row.used_at).toEqual(expect.any(Date));
    });

    it('leaves Secure out when PUBLIC_URL is http', async () => {
      const plain = await createTestApp({ PUBLIC_URL: 'http://rollcall.test:3000' });
      try {
        const tenant = await createTenant(plain);
        const link = await request(plain.http)
          .post('/api/v1/portal-links')
          .auth(tenant.adminToken, { type: 'bearer' })
          .send({})
          .expect(201);
        expect(link.body.url).toMatch(/^http:\/\/rollcall\.test:3000\/portal\/start\?code=rc_pl_/);
        const res = await submit(plain, codeOf(link.body.url)).expect(303);
        const cookie = attributes(setCookieOf(res)[0]);
        expect([...cookie.keys()].sort()).toEqual([
          'httponly',
          'max-age',
          'path',
          'rollcall_portal',
          'samesite',
        ]);
        expect(cookie.get('samesite')).toBe('Strict');
      } finally {
        await plain.close();
      }
    });

    it('and Secure is there when PUBLIC_URL is https, whatever the default of the test app', async () => {
      const secure = await createTestApp({ PUBLIC_URL: 'https://portal.example.com' });
      try {
        const tenant = await createTenant(secure);
        const link = await request(secure.http)
          .post('/api/v1/portal-links')
          .auth(tenant.adminToken, { type: 'bearer' })
          .send({})
          .expect(201);
        expect(link.body.url.startsWith('https://portal.example.com/portal/start?code=')).toBe(true);
        const res = await submit(secure, codeOf(link.body.url)).expect(303);
        expect(attributes(setCookieOf(res)[0]).has('secure')).toBe(true);
      } finally {
        await secure.close();
      }
    });

    it('answers a used link with 410 and a page that says so, and starts no second session', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      await exchange(url);
      const again = await http().get(pathOf(url));
      expectRefusal(again, 410, /This link has already been used or has expired/);
      expect(again.text).toContain('ask your SaaS provider for a new link');
      // A Continue from a page opened before the link was used is refused the same way.
      const late = await submit(t, codeOf(url));
      expectRefusal(late, 410, /This link has already been used or has expired/);
      expect(late.text).toBe(again.text);
      expect(await sessionCount(tenant)).toBe(1);
    });

    it('answers an expired link with the same 410 page (the clock moved past PORTAL_LINK_TTL_SECONDS)', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      const used = await createLink(tenant.adminToken);
      await exchange(used.url);
      const landing = await http().get(pathOf(url)).expect(200);
      later(LINK_SECONDS + 1);
      const expired = await http().get(pathOf(url));
      expectRefusal(expired, 410, /This link has already been used or has expired/);
      // The landing page was shown in time, but Continue came too late.
      expect((await submit(t, formCodeOf(landing.text))).text).toBe(expired.text);
      // An unknown code that is well formed says no more than a used or an expired one.
      const fake = await http().get(`/portal/start?code=${generateToken('portalLink', tenant.id)}`);
      expect(fake.status).toBe(410);
      expect(fake.text).toBe(expired.text);
      expect((await submit(t, generateToken('portalLink', tenant.id))).text).toBe(expired.text);
      expect((await http().get(pathOf(used.url))).text).toBe(expired.text);
      expect(await sessionCount(tenant)).toBe(1);
    });

    it('answers a HEAD request (a link checker’s) with the status alone', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      const head = await http().head(pathOf(url));
      expect(head.status).toBe(200);
      expect(head.text ?? '').toBe('');
      expect(setCookieOf(head)).toEqual([]);
      await exchange(url);
    });

    it('opens a link until its last second', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      later(LINK_SECONDS - 2);
      await exchange(url);
    });

    it('answers a malformed or missing code with 400 and a page that says the link is not complete', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      const code = codeOf(url);
      const malformed = [
        '',
        code.slice(0, -1),
        `${code.slice(0, -1)}${code.endsWith('a') ? 'b' : 'a'}`,
        tenant.adminToken,
        `${code}"><script>alert(1)</script>`,
      ];
      for (const path of [
        '/portal/start',
        `/portal/start?code=${code}&code=${code}`,
        ...malformed.map((c) => `/portal/start?code=${encodeURIComponent(c)}`),
      ]) {
        const res = await http().get(path);
        expectRefusal(res, 400, /This link is not complete/);
        expect(res.text).not.toContain('<script>');
      }
      for (const codes of [[], [code, code], ...malformed.map((c) => [c])]) {
        expectRefusal(await submit(t, codes), 400, /This link is not complete/);
      }
      // None of that used the link.
      await exchange(url);
    });

    it('refuses a Continue that another site posted (login CSRF): 403, and the link is left as it was', async () => {
      const tenant = await createTenant(t);
      const { url } = await createLink(tenant.adminToken);
      const form = `code=${codeOf(url)}`;
      const post = () =>
        http().post('/portal/start').set('Content-Type', 'application/x-www-form-urlencoded');
      for (const refused of [
        post().set('Sec-Fetch-Site', 'cross-site'),
        post().set('Sec-Fetch-Site', 'same-site'),
        post().set('Origin', 'https://evil.example'),
        post().set('Origin', 'null'),
      ]) {
        expectRefusal(await refused.send(form), 403, /This sign-in did not come from the link’s own page/);
      }
      expect(await sessionCount(tenant)).toBe(0);
      // The public origin is the link's own (a browser without Sec-Fetch-Site sends Origin alone).
      const res = await post().set('Origin', new URL(TEST_PUBLIC_URL).origin).send(form).expect(303);
      expect(res.headers.location).toBe('/portal/');
      expect(await sessionCount(tenant)).toBe(1);
    });

    it('takes a form body on POST /portal/start only: the settings API still refuses one with 415', async () => {
      const tenant = await createTenant(t);
      const res = await bearer(http().post('/api/v1/groups'), tenant.adminToken)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('name=Sales');
      expectApiError(res, 415, 'unsupported_media_type');
      expect(await t.sql(`SELECT id FROM groups WHERE tenant_id = $1`, [tenant.id])).toEqual([]);
      // A form far larger than one code is refused before it is read.
      const { url } = await createLink(tenant.adminToken);
      const big = await submit(t, [codeOf(url), 'x'.repeat(4096)]);
      expect(big.status).toBe(413);
      expect(await sessionCount(tenant)).toBe(0);
    });

    it('lets exactly one of two concurrent Continues of one link win', async () => {
      for (let round = 0; round < 5; round++) {
        const tenant = await createTenant(t);
        const { url } = await createLink(tenant.adminToken);
        const answers = await Promise.all([submit(t, codeOf(url)), submit(t, codeOf(url))]);
        expect(answers.map((r) => r.status).sort()).toEqual([303, 410]);
        expect(await sessionCount(tenant)).toBe(1);
        expect((await auditOf(tenant, 'portal_session.started')).length).toBe(1);
      }
    });
  });

  describe('the session on the settings API', () => {
    it('GET /api/v1/portal/session tells the page its tenant, CSRF token, end and id', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const res = await http().get('/api/v1/portal/session').set('Cookie', s.cookie).expect(200);
      expect(res.body).toEqual({
        tenantId: tenant.id,
        tenantName: tenant.name,
        csrfToken: s.csrf,
        expiresAt: expect.any(String),
        sessionId: s.id,
      });
      const left = new Date(res.body.expiresAt).getTime() - Date.now();
      expect(left).toBeGreaterThan((IDLE_SECONDS - 60) * 1000);
      expect(left).toBeLessThanOrEqual(IDLE_SECONDS * 1000);
      expect(s.csrf).not.toBe(s.secret);
      expect(s.csrf).not.toContain(s.secret);
      // Each request keeps the cookie alive as long as the session.
      const cookie = attributes(setCookieOf(res)[0]);
      expect(cookie.get(COOKIE.toLowerCase())).toBe(s.secret);
      expect(cookie.get('max-age')).toBe(String(IDLE_SECONDS));
      // Cookie only: an admin token is not a portal session.
      expectApiError(
        await bearer(http().get('/api/v1/portal/session'), tenant.adminToken),
        401,
        'unauthorized',
      );
      expectApiError(await http().get('/api/v1/portal/session'), 401, 'unauthorized');
    });

    it('is the tenant’s admin on every admin route family', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const made = await through(s, http().post('/api/v1/scim-integrations'))
        .send({ name: uniqueName('Okta'), provider: 'okta', newGroupName: uniqueName('Staff') })
        .expect(201);
      const integration = made.body;
      expect(integration.token).toMatch(/^rc_scim_/);
      const list = await through(s, http().get('/api/v1/scim-integrations')).expect(200);
      expect(list.body.map((i: Json) => i.id)).toEqual([integration.id]);
      await through(s, http().get(`/api/v1/scim-integrations/${integration.id}`)).expect(200);
      await through(s, http().patch(`/api/v1/scim-integrations/${integration.id}`))
        .send({ name: uniqueName('Renamed') })
        .expect(200);
      await through(s, http().post(`/api/v1/scim-integrations/${integration.id}/token`))
        .send({ graceSeconds: 0 })
        .expect(201);
      await through(s, http().get(`/api/v1/scim-integrations/${integration.id}/events`)).expect(200);
      const group = await through(s, http().post('/api/v1/groups'))
        .send({ name: uniqueName('Sales') })
        .expect(201);
      await through(s, http().get('/api/v1/groups')).expect(200);
      await through(s, http().get(`/api/v1/groups/${group.body.id}/members`)).expect(200);
      await through(s, http().delete(`/api/v1/groups/${group.body.id}`)).expect(204);
      await through(s, http().get('/api/v1/users')).expect(200);
      await through(s, http().get('/api/v1/audit-log')).expect(200);
      await through(s, http().get('/api/v1/portal-sessions')).expect(200);
      await through(s, http().delete(`/api/v1/scim-integrations/${integration.id}`)).expect(204);
    });

    it('never reaches the operator API, the SCIM API, admin tokens or portal links', async () => {
      const tenant = await createTenant(t);
      const { id: integrationId } = await createIntegration(t, tenant);
      const s = await openPortal(tenant);
      const tokensBefore = await t.sql(`SELECT id FROM api_tokens WHERE tenant_id = $1`, [tenant.id]);
      const linksBefore = await t.sql(`SELECT id FROM portal_links WHERE tenant_id = $1`, [tenant.id]);

      for (const r of [
        http().get('/api/v1/tenants'),
        http().get(`/api/v1/tenants/${tenant.id}`),
        http()
          .post('/api/v1/tenants')
          .send({ name: uniqueName('Evil') }),
        http().post(`/api/v1/tenants/${tenant.id}/admin-tokens`).send({}),
        http().get(`/api/v1/tenants/${tenant.id}/audit-log`),
        http().get('/api/v1/admin-tokens'),
        http().post('/api/v1/admin-tokens').send({ name: 'from the portal' }),
        http().delete(`/api/v1/admin-tokens/${NO_SUCH_ID}`),
        http().post('/api/v1/portal-links').send({}),
        http().post('/api/v1/portal-links').send({ tenantId: tenant.id }),
      ]) {
        expectApiError(await through(s, r), 403, 'forbidden');
      }
      // The SCIM API does not read cookies at all.
      for (const path of ['/scim/v2/Users', '/scim/v2/Groups', '/scim/v2/ServiceProviderConfig']) {
        const res = await through(s, http().get(path));
        expect(res.status).toBe(401);
        expect(res.body.schemas).toEqual([SCIM_ERROR]);
      }
      expect(await t.sql(`SELECT id FROM api_tokens WHERE tenant_id = $1`, [tenant.id])).toEqual(
        tokensBefore,
      );
      expect(await t.sql(`SELECT id FROM portal_links WHERE tenant_id = $1`, [tenant.id])).toEqual(
        linksBefore,
      );
      expect(await t.sql(`SELECT id FROM tenants WHERE name LIKE 'Evil%'`)).toEqual([]);
      await through(s, http().get(`/api/v1/scim-integrations/${integrationId}`)).expect(200);
    });

    it('takes a bearer token first when both are there', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      // The admin token reaches what the session cannot, and without a CSRF token.
      await through(s, bearer(http().get('/api/v1/admin-tokens'), tenant.adminToken), null).expect(200);
      await through(s, bearer(http().post('/api/v1/groups'), tenant.adminToken), null)
        .send({ name: uniqueName('ByToken') })
        .expect(201);
      const [event] = await auditOf(tenant, 'group.created');
      expect(event.actor.kind).toBe('admin');
      // A bad bearer token is a 401 even beside a good cookie.
      expectApiError(
        await through(s, bearer(http().get('/api/v1/groups'), 'rc_adm_nonsense')),
        401,
        'unauthorized',
      );
    });
  });

  describe('CSRF', () => {
    it('refuses a change through the cookie without the right X-CSRF-Token (403), changing nothing', async () => {
      const tenant = await createTenant(t);
      const integration = await createIntegration(t, tenant);
      const s = await openPortal(tenant);
      const other = await openPortal(tenant);
      const name = uniqueName('Forged');
      const attempts = [
        () => http().post('/api/v1/groups').send({ name }),
        () => http().patch(`/api/v1/scim-integrations/${integration.id}`).send({ enabled: false }),
        () => http().delete(`/api/v1/scim-integrations/${integration.id}`),
        () => http().put(`/api/v1/scim-integrations/${integration.id}`).send({ name }),
        () => http().post('/api/v1/portal/logout'),
        () => http().delete(`/api/v1/portal-sessions/${other.id}`),
      ];
      for (const csrf of [null, '', 'x'.repeat(43), other.csrf, s.secret]) {
        for (const attempt of attempts) {
          const res = await through(s, attempt(), csrf);
          expectApiError(res, 403, 'forbidden');
          expect(res.body.message).toMatch(/X-CSRF-Token/);
        }
      }
      expect(
        await t.sql(`SELECT id FROM groups WHERE tenant_id = $1 AND name = $2`, [tenant.id, name]),
      ).toEqual([]);
      const details = await through(s, http().get(`/api/v1/scim-integrations/${integration.id}`)).expect(200);
      expect(details.body.enabled).toBe(true);
      // Both sessions still work: nothing was logged out or revoked.
      await through(other, http().get('/api/v1/groups')).expect(200);
      await through(s, http().get('/api/v1/groups'), null).expect(200);
      const byPortal = (events: Json[]) => events.filter((e) => e.actor.kind === 'portal');
      expect(byPortal(await auditOf(tenant, 'group.created'))).toEqual([]);
      expect(byPortal(await auditOf(tenant, 'integration.disabled'))).toEqual([]);
      expect(await auditOf(tenant, 'portal_session.revoked')).toEqual([]);
      expect(await auditOf(tenant, 'portal_session.logged_out')).toEqual([]);
      // The right token: the change goes through.
      await through(s, http().post('/api/v1/groups')).send({ name }).expect(201);
      await through(s, http().patch(`/api/v1/scim-integrations/${integration.id}`))
        .send({ enabled: false })
        .expect(200);
    });
  });

  describe('the end of a session', () => {
    it('ends after PORTAL_SESSION_IDLE_SECONDS without a request, and each request starts that time again', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      later(IDLE_SECONDS - 60);
      await through(s, http().get('/api/v1/groups')).expect(200);
      later(2 * IDLE_SECONDS - 120);
      await through(s, http().get('/api/v1/groups')).expect(200);
      later(3 * IDLE_SECONDS);
      const res = await through(s, http().get('/api/v1/groups'));
      expectApiError(res, 401, 'unauthorized');
      expect(res.body.message).toMatch(/portal link/);
      expectApiError(await through(s, http().get('/api/v1/portal/session')), 401, 'unauthorized');
      // An admin no longer sees it among the tenant's sessions.
      const list = await bearer(http().get('/api/v1/portal-sessions'), tenant.adminToken).expect(200);
      expect(list.body).toEqual([]);
    });

    it('writes its last request at most once a minute, however often the page asks', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const lastSeen = async () =>
        (
          await t.sql<{ last_seen_at: Date }>(
            `SELECT last_seen_at FROM portal_sessions WHERE tenant_id = $1 AND id = $2`,
            [tenant.id, s.id],
          )
        )[0].last_seen_at.getTime();
      const opened = await lastSeen();
      later(30);
      await through(s, http().get('/api/v1/groups')).expect(200);
      expect(await lastSeen()).toBe(opened);
      later(90);
      await through(s, http().get('/api/v1/groups')).expect(200);
      expect(await lastSeen()).toBeGreaterThanOrEqual(opened + 89_000);
    });

    it('is revoked by an admin and refused on its next request, on every instance', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const other = await openPortal(tenant);
      const second = await createTestApp();
      try {
        await request(second.http).get('/api/v1/groups').set('Cookie', s.cookie).expect(200);
        const list = await bearer(http().get('/api/v1/portal-sessions'), tenant.adminToken).expect(200);
        expect(list.body.map((x: Json) => x.id).sort()).toEqual([s.id, other.id].sort());
        const listed = list.body.find((x: Json) => x.id === s.id);
        expect(listed).toEqual({
          id: s.id,
          hint: tokenHint(s.secret),
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          expiresAt: expect.any(String),
          linkId: expect.any(String),
          linkCreatedBy: { kind: 'admin', tokenId: expect.any(String) },
        });
        expect(JSON.stringify(list.body)).not.toContain(s.secret);
        expect(JSON.stringify(list.body)).not.toContain(s.csrf);

        await bearer(http().delete(`/api/v1/portal-sessions/${s.id}`), tenant.adminToken).expect(204);
        expectApiError(await through(s, http().get('/api/v1/groups')), 401, 'unauthorized');
        expectApiError(
          await request(second.http).get('/api/v1/groups').set('Cookie', s.cookie),
          401,
          'unauthorized',
        );
        // The other session goes on; the revoked one is no longer listed; revoking it again changes nothing.
        await through(other, http().get('/api/v1/groups')).expect(200);
        const after = await bearer(http().get('/api/v1/portal-sessions'), tenant.adminToken).expect(200);
        expect(after.body.map((x: Json) => x.id)).toEqual([other.id]);
        await bearer(http().delete(`/api/v1/portal-sessions/${s.id}`), tenant.adminToken).expect(204);
        expectApiError(
          await bearer(http().delete(`/api/v1/portal-sessions/${NO_SUCH_ID}`), tenant.adminToken),
          404,
          'not_found',
        );
        const events = await auditOf(tenant, 'portal_session.revoked');
        expect(events).toHaveLength(1);
        expect(events[0]).toEqual(
          expect.objectContaining({
            actor: expect.objectContaining({ kind: 'admin', sessionId: null }),
            target: { type: 'portal_session', id: s.id, name: tokenHint(s.secret) },
          }),
        );
      } finally {
        await second.close();
      }
    });

    it('logs out: POST /api/v1/portal/logout ends the session and clears the cookie', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const res = await through(s, http().post('/api/v1/portal/logout')).expect(204);
      const lines = setCookieOf(res);
      expect(lines).toHaveLength(1);
      const cleared = attributes(lines[0]);
      expect(cleared.get(COOKIE.toLowerCase())).toBe('');
      expect(cleared.get('max-age')).toBe('0');
      expect(cleared.get('path')).toBe('/');
      expectApiError(await through(s, http().get('/api/v1/groups')), 401, 'unauthorized');
      expectApiError(await through(s, http().post('/api/v1/portal/logout')), 401, 'unauthorized');
      const [event] = await auditOf(tenant, 'portal_session.logged_out');
      expect(event).toEqual(
        expect.objectContaining({
          actor: { kind: 'portal', tokenId: null, tokenHint: tokenHint(s.secret), sessionId: s.id },
          target: { type: 'portal_session', id: s.id, name: tokenHint(s.secret) },
        }),
      );
    });

    it('ends with its tenant: a disabled tenant’s session and links stop working', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const { url } = await createLink(tenant.adminToken);
      await bearer(http().patch(`/api/v1/tenants/${tenant.id}`), t.operatorToken)
        .send({ enabled: false })
        .expect(200);
      expectApiError(await through(s, http().get('/api/v1/groups')), 401, 'unauthorized');
      expect((await http().get(pathOf(url))).status).toBe(410);
      expectApiError(
        await bearer(http().post('/api/v1/portal-links'), t.operatorToken).send({ tenantId: tenant.id }),
        409,
        'conflict',
      );
    });
  });

  describe('the audit log', () => {
    it('names the portal session as the actor of every change made through it', async () => {
      const tenant = await createTenant(t);
      const s = await openPortal(tenant);
      const group = await through(s, http().post('/api/v1/groups'))
        .send({ name: uniqueName('Ops') })
        .expect(201);
      await through(s, http().patch(`/api/v1/groups/${group.body.id}`))
        .send({ name: uniqueName('Ops2') })
        .expect(200);
      const portalActor = { kind: 'portal', tokenId: null, tokenHint: tokenHint(s.secret), sessionId: s.id };
      const [created] = await auditOf(tenant, 'group.created');
      const [renamed] = await auditOf(tenant, 'group.renamed');
      expect(created.actor).toEqual(portalActor);
      expect(renamed.actor).toEqual(portalActor);
      const [started] = await auditOf(tenant, 'portal_session.started');
      expect(started).toEqual(
        expect.objectContaining({
          actor: portalActor,
          target: { type: 'portal_session', id: s.id, name: tokenHint(s.secret) },
          changes: { linkId: { to: expect.any(String) } },
        }),
      );
      // The admin can find every change a session made by its id.
      const all = await bearer(http().get(`/api/v1/audit-log?targetId=${s.id}`), tenant.adminToken).expect(
        200,
      );
      expect(all.body.items.map((e: Json) => e.action)).toEqual(['portal_session.started']);
    });
  });

  describe('tenant isolation', () => {
    it('keeps a session of tenant A out of tenant B', async () => {
      const a = await createTenant(t);
      const b = await createTenant(t);
      const ib = await createIntegration(t, b);
      const sa = await openPortal(a);
      const sb = await openPortal(b);
      expect((await through(sa, http().get('/api/v1/scim-integrations')).expect(200)).body).toEqual([]);
      expectApiError(await through(sa, http().get(`/api/v1/scim-integrations/${ib.id}`)), 404, 'not_found');
      expectApiError(await through(sa, http().get(`/api/v1/groups/${ib.groupId}`)), 404, 'not_found');
      expectApiError(
        await through(sa, http().patch(`/api/v1/scim-integrations/${ib.id}`)).send({ enabled: false }),
        404,
        'not_found',
      );
      expectApiError(await through(sa, http().delete(`/api/v1/portal-sessions/${sb.id}`)), 404, 'not_found');
      expect(
        (await through(sa, http().get('/api/v1/portal-sessions')).expect(200)).body.map((x: Json) => x.id),
      ).toEqual([sa.id]);
      const audit = await through(sa, http().get('/api/v1/audit-log')).expect(200);
      expect(JSON.stringify(audit.body)).not.toContain(b.id);
      expect(JSON.stringify(audit.body)).not.toContain(sb.id);
      // A's CSRF token is no good with B's cookie.
      expectApiError(
        await through(sb, http().post('/api/v1/groups'), sa.csrf).send({ name: uniqueName('x') }),
        403,
        'forbidden',
      );
      // B is untouched.
      await through(sb, http().get(`/api/v1/scim-integrations/${ib.id}`)).expect(200);
      // A's admin token cannot list or end B's sessions either.
      expectApiError(
        await bearer(http().delete(`/api/v1/portal-sessions/${sb.id}`), a.adminToken),
        404,
        'not_found',
      );
    });
  });

  it('keeps every code, session secret and CSRF token out of the stored rows and the log lines', async () => {
    // What the tests above handled, and one more complete round trip to be sure there is something to look at.
    const tenant = await createTenant(t);
    const s = await openPortal(tenant);
    await through(s, http().post('/api/v1/groups'))
      .send({ name: uniqueName('Last') })
      .expect(201);
    await through(s, http().post('/api/v1/portal/logout')).expect(204);
    expect(secrets.size).toBeGreaterThan(20);

    const stored = await t.sql<{ row: string }>(
      `SELECT to_jsonb(x)::text AS row FROM portal_links x
       UNION ALL SELECT to_jsonb(x)::text FROM portal_sessions x
       UNION ALL SELECT to_jsonb(x)::text FROM audit_events x
       UNION ALL SELECT to_jsonb(x)::text FROM api_tokens x`,
    );
    expect(stored.length).toBeGreaterThan(50);
    // The URL of a request that opened a link is logged without its code (the last request's line included).
    await waitFor(() => logLines.some((l) => l.includes('/api/v1/portal/logout')));
    const starts = logLines.filter((l) => l.includes('/portal/start'));
    expect(starts.length).toBeGreaterThan(10);
    expect(starts.filter((l) => /code=(?!\[Redacted\])/.test(l))).toEqual([]);
    expect(starts.filter((l) => l.includes('code=[Redacted]')).length).toBeGreaterThan(10);
    const text = [...stored.map((r) => r.row), ...logLines].join('\n');
    const found = [...secrets].filter((secret) => text.includes(secret));
    expect(found).toEqual([]);
  });
});
