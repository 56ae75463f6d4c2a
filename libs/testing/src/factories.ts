import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app';

export interface TestTenant {
  id: string;
  name: string;
  adminToken: string;
}

export interface TestIntegration {
  id: string;
  token: string;
  groupId: string;
  scimBaseUrl: string;
}

export function uniqueName(prefix: string): string {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

/** A tenant made through the operator API, with its first admin token. */
export async function createTenant(t: TestApp, name = uniqueName('Tenant')): Promise<TestTenant> {
  const res = await request(t.http)
    .post('/api/v1/tenants')
    .auth(t.operatorToken, { type: 'bearer' })
    .send({ name })
    .expect(201);
  return { id: res.body.id, name, adminToken: res.body.adminToken };
}

/** An integration made through the wizard, with a new target group. */
export async function createIntegration(
  t: TestApp,
  tenant: TestTenant,
  options: { provider?: string; name?: string; groupId?: string } = {},
): Promise<TestIntegration> {
  const body: Record<string, unknown> = {
    name: options.name ?? uniqueName('Integration'),
    provider: options.provider ?? 'okta',
  };
  if (options.groupId) body.groupId = options.groupId;
  else body.newGroupName = uniqueName('Target');
  const res = await request(t.http)
    .post('/api/v1/scim-integrations')
    .auth(tenant.adminToken, { type: 'bearer' })
    .send(body)
    .expect(201);
  return {
    id: res.body.id,
    token: res.body.token,
    groupId: res.body.group.id,
    scimBaseUrl: res.body.scimBaseUrl,
  };
}

/** A tenant with one integration: the usual starting point of a SCIM test. */
export async function createScimDirectory(
  t: TestApp,
  provider = 'okta',
): Promise<{ tenant: TestTenant; integration: TestIntegration }> {
  const tenant = await createTenant(t);
  const integration = await createIntegration(t, tenant, { provider });
  return { tenant, integration };
}

/** A portal session as a browser holds it: the cookie it was given (`rollcall_portal=…`) and its page's CSRF token. */
export interface TestPortalSession {
  cookie: string;
  /** The session's secret, the cookie's value. */
  secret: string;
  csrf: string;
  id: string;
}

/**
 * Opens a portal link as an admin's browser does: its landing page (which uses nothing up), then Continue (the
 * form's POST, from that page), then the page's first request for its session.
 */
export async function openPortalLink(t: TestApp, url: string): Promise<TestPortalSession> {
  const u = new URL(url);
  await request(t.http)
    .get(u.pathname + u.search)
    .expect(200);
  const res = await request(t.http)
    .post('/portal/start')
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('Sec-Fetch-Site', 'same-origin')
    .send(new URLSearchParams({ code: u.searchParams.get('code') ?? '' }).toString())
    .expect(303);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const info = await request(t.http).get('/api/v1/portal/session').set('Cookie', cookie).expect(200);
  return {
    cookie,
    secret: cookie.slice(cookie.indexOf('=') + 1),
    csrf: info.body.csrfToken,
    id: info.body.sessionId,
  };
}
