import request from 'supertest';
import { createIntegration, createTenant, createTestApp, type TestApp } from '@rollcall/testing';
import { AdmissionService } from '@rollcall/tokens';
import { listen, openRequest, waitFor } from './fixtures/http';
import { userBody } from './fixtures/scim';

/**
 * Two instances of the server on one database, as behind a load balancer: what one revokes stops working on
 * the other within a second (each trusts a verified token for under a second, and hears the other's
 * revocations through PostgreSQL LISTEN/NOTIFY at once).
 */
describe('two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(), createTestApp()]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  /** Calls `send` until it answers 401; how long after `since` that took (at most `limitMs` + one call). */
  async function msUntil401(send: () => Promise<number>, since: number, limitMs = 3_000): Promise<number> {
    for (;;) {
      const status = await send();
      const elapsed = performance.now() - since;
      if (status === 401) return elapsed;
      expect(status).toBe(200);
      if (elapsed > limitMs) return elapsed;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('50 parallel creates of one userName split across both: one 201, 49 × 409 uniqueness, one row', async () => {
    const tenant = await createTenant(a);
    const integration = await createIntegration(a, tenant);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request((i % 2 === 0 ? a : b).http)
          .post('/scim/v2/Users')
          .auth(integration.token, { type: 'bearer' })
          .set('Content-Type', 'application/scim+json')
          .send(userBody(i % 3 === 0 ? 'Split.Race@Example.com' : 'split.race@example.com')),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.scimType).toBe('uniqueness');
    const rows = await a.sql(`SELECT id FROM scim_users WHERE integration_id = $1`, [integration.id]);
    expect(rows).toHaveLength(1);
  });

  it('a SCIM token of an integration disabled through one stops working on the other within 1 s', async () => {
    const tenant = await createTenant(a);
    const integration = await createIntegration(a, tenant);
    const onB = async () =>
      (await request(b.http).get('/scim/v2/Users?count=1').auth(integration.token, { type: 'bearer' }))
        .status;
    // Verified (and cached) on B first.
    expect(await onB()).toBe(200);
    await request(a.http)
      .patch(`/api/v1/scim-integrations/${integration.id}`)
      .auth(tenant.adminToken, { type: 'bearer' })
      .send({ enabled: false })
      .expect(200);
    // Well within the second: B hears of it through NOTIFY at once (its cache alone would take ~900 ms here,
    // having just verified the token).
    expect(await msUntil401(onB, performance.now())).toBeLessThan(500);
  });

  it('an admin token revoked through one stops working on the other within 1 s', async () => {
    const tenant = await createTenant(a);
    const created = await request(a.http)
      .post('/api/v1/admin-tokens')
      .auth(tenant.adminToken, { type: 'bearer' })
      .send({ name: 'second' })
      .expect(201);
    const onB = async () =>
      (await request(b.http).get('/api/v1/groups').auth(created.body.token, { type: 'bearer' })).status;
    expect(await onB()).toBe(200);
    await request(a.http)
      .delete(`/api/v1/admin-tokens/${created.body.id}`)
      .auth(tenant.adminToken, { type: 'bearer' })
      .expect(204);
    // Well within the second: B hears of it through NOTIFY at once (its cache alone would take ~900 ms here,
    // having just verified the token).
    expect(await msUntil401(onB, performance.now())).toBeLessThan(500);
  });
});

describe('limits with two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let portA: number;

  beforeAll(async () => {
    const env = { SCIM_MAX_CONCURRENT: '1', SCIM_MAX_IN_FLIGHT: '1' };
    [a, b] = await Promise.all([createTestApp(env), createTestApp(env)]);
    portA = await listen(a);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('holds each instance to its own in-flight cap, as the README says: the integration gets one per instance', async () => {
    const tenant = await createTenant(a);
    const integration = await createIntegration(a, tenant);
    const body = JSON.stringify(userBody('held@example.com'));
    const held = openRequest(portA, 'POST', '/scim/v2/Users', {
      authorization: `Bearer ${integration.token}`,
      'content-type': 'application/scim+json',
      'content-length': Buffer.byteLength(body),
    });
    await waitFor(() => a.app.get(AdmissionService).integrationInFlight(integration.id) === 1);
    const list = (t: TestApp) =>
      request(t.http).get('/scim/v2/Users?count=1').auth(integration.token, { type: 'bearer' });
    // A is at its cap for this integration; B is not.
    const refused = await list(a);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect((await list(b)).status).toBe(200);
    held.finish(body);
    expect((await held.response).status).toBe(201);
    expect((await list(a)).status).toBe(200);
  });
});
