import request from 'supertest';
import { MetricsServer } from '@rollcall/api';
import { SqlService } from '@rollcall/database';
import {
  createIntegration,
  createScimDirectory,
  createTenant,
  createTestApp,
  type TestApp,
} from '@rollcall/testing';
import { AdmissionService } from '@rollcall/tokens';
import { listen, openRequest, waitFor } from './fixtures/http';
import { GROUP_SCHEMA } from './fixtures/groups/okta';
import { createUser, NO_SUCH_ID, patchBody, scimClient, userBody } from './fixtures/scim';

type Labels = Record<string, string>;

/** One scrape: every sample of the text, by metric name, with its labels. */
class Scrape {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}

  /** The sample of `name` with exactly these labels; 0 when it is not there (yet). */
  value(name: string, labels: Labels = {}): number {
    const wanted = Object.entries(labels).sort().join();
    for (const line of this.text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const found = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]);
      if (found.sort().join() === wanted) return Number(m[3]);
    }
    return 0;
  }
}

describe('metrics (GET /metrics on a port of its own)', () => {
  let t: TestApp;
  let port: number;
  let metricsPort: number;

  beforeAll(async () => {
    t = await createTestApp({
      METRICS_PORT: '0',
      // One SCIM request of an integration in flight at most: a second is refused at once (429, in-flight).
      SCIM_MAX_CONCURRENT: '1',
      SCIM_MAX_IN_FLIGHT: '1',
      // An admin token's burst is small: past it, with a lighter caller being served, it is refused (429, rate).
      ADMIN_RATE_LIMIT: '1',
      ADMIN_RATE_BURST: '3',
      // Two connections: a few queries at once must wait for one.
      DATABASE_POOL_SIZE: '2',
    });
    port = await listen(t);
    metricsPort = t.app.get(MetricsServer).address()!.port;
  });
  afterAll(() => t.close());

  async function scrape(): Promise<Scrape> {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    return new Scrape(await res.text(), res.headers.get('content-type') ?? '');
  }

  /** Scrapes until `done` holds (what is written after the answer, such as a refusal's event); 5 s at most. */
  async function scrapeUntil(done: (s: Scrape) => boolean): Promise<Scrape> {
    const until = Date.now() + 5000;
    for (;;) {
      const s = await scrape();
      if (done(s) || Date.now() > until) return s;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** How much each sample moved between two scrapes. */
  function delta(before: Scrape, after: Scrape) {
    return (name: string, labels: Labels = {}) => after.value(name, labels) - before.value(name, labels);
  }

  const REQUESTS = 'rollcall_http_requests_total';
  const DURATION = 'rollcall_http_request_duration_seconds';
  const EVENTS = 'rollcall_scim_events_written_total';
  const RATE_LIMITED = 'rollcall_rate_limited_total';

  it('serves Prometheus text on its own port, and nothing else there; the API port has no /metrics', async () => {
    const s = await scrape();
    expect(s.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(s.text).toMatch(/^# HELP rollcall_http_requests_total /m);
    expect(s.text).toMatch(/^# TYPE rollcall_http_request_duration_seconds histogram$/m);
    // prom-client's process and Node.js metrics.
    expect(s.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(s.text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(s.text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(s.text).toMatch(/^nodejs_heap_size_used_bytes \d/m);

    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
    const onApi = await request(t.http).get('/metrics');
    expect(onApi.status).toBe(404);
    expect(onApi.text).not.toContain('rollcall_');
    // That 404 is counted as an unmatched route, never under its URL.
    const after = await scrape();
    expect(
      after.value(REQUESTS, { route: 'unmatched', method: 'GET', status: '404', provider: 'none' }),
    ).toBe(s.value(REQUESTS, { route: 'unmatched', method: 'GET', status: '404', provider: 'none' }) + 1);
    expect(after.text).not.toContain('route="/metrics"');
  });

  it('counts SCIM and settings requests by route pattern, method, status and provider, with their durations', async () => {
    const before = await scrape();
    const { tenant, integration: okta } = await createScimDirectory(t, 'okta');
    const entra = await createIntegration(t, tenant, { provider: 'entra' });
    const created = await scimClient(t, okta.token)
      .post('/Users', userBody('metrics@example.com'))
      .expect(201);
    await scimClient(t, okta.token)
      .get(`/Users/${created.body.id as string}`)
      .expect(200);
    await scimClient(t, okta.token).get(`/Users/${NO_SUCH_ID}`).expect(404);
    await scimClient(t, entra.token).get('/Users?filter=userName%20eq%20%22nobody%22').expect(200);
    await request(t.http).get('/api/v1/groups').auth(tenant.adminToken, { type: 'bearer' }).expect(200);
    await request(t.http).get('/scim/v2/Users').expect(401);
    const moved = delta(before, await scrape());

    const requests = (route: string, method: string, status: number, provider: string) =>
      moved(REQUESTS, { route, method, status: String(status), provider });
    expect(requests('/api/v1/tenants', 'POST', 201, 'none')).toBe(1);
    expect(requests('/api/v1/scim-integrations', 'POST', 201, 'none')).toBe(2);
    expect(requests('/api/v1/groups', 'GET', 200, 'none')).toBe(1);
    expect(requests('/scim/v2/Users', 'POST', 201, 'okta')).toBe(1);
    expect(requests('/scim/v2/Users/:id', 'GET', 200, 'okta')).toBe(1);
    expect(requests('/scim/v2/Users/:id', 'GET', 404, 'okta')).toBe(1);
    expect(requests('/scim/v2/Users', 'GET', 200, 'entra')).toBe(1);
    expect(requests('/scim/v2/Users', 'GET', 200, 'okta')).toBe(0);
    // No valid token: no provider.
    expect(requests('/scim/v2/Users', 'GET', 401, 'none')).toBe(1);

    // One duration per request, in a bucket at or below every bound it fits.
    const scimById = { route: '/scim/v2/Users/:id', method: 'GET' };
    expect(moved(`${DURATION}_count`, scimById)).toBe(2);
    expect(moved(`${DURATION}_bucket`, { ...scimById, le: '+Inf' })).toBe(2);
    expect(moved(`${DURATION}_bucket`, { ...scimById, le: '10' })).toBe(2);
    expect(moved(`${DURATION}_sum`, scimById)).toBeGreaterThan(0);
    expect(moved(`${DURATION}_sum`, scimById)).toBeLessThan(2);
    expect(moved(`${DURATION}_count`, { route: '/scim/v2/Users', method: 'GET' })).toBe(2);

    // The create's event (written with the user), the 404's failure event, Entra's first request (a read); the
    // reads of Okta's integration after its create are not recorded; nothing refused.
    expect(moved(EVENTS, { kind: 'change' })).toBe(1);
    expect(moved(EVENTS, { kind: 'failure' })).toBe(1);
    expect(moved(EVENTS, { kind: 'first_read' })).toBe(1);
    expect(moved(EVENTS, { kind: 'refusal_summary' })).toBe(0);
    expect(moved('rollcall_scim_event_write_errors_total', { kind: 'failure' })).toBe(0);
    expect(moved('rollcall_scim_event_write_errors_total', { kind: 'first_read' })).toBe(0);
  });

  it('counts as many events as the activity log holds, for every kind of write, a write that changes nothing as unchanged', async () => {
    const { integration } = await createScimDirectory(t, 'entra');
    const scim = scimClient(t, integration.token);
    const before = await scrape();
    const ann = await createUser(scim, 'ann@example.com');
    const bob = await createUser(scim, 'bob@example.com');
    await scim.post('/Users', userBody('ANN@example.com')).expect(409);
    await scim
      .put(`/Users/${ann.id as string}`, userBody('ann@example.com', { displayName: 'Ann' }))
      .expect(200);
    const deactivate = patchBody({ op: 'replace', value: { active: false } });
    await scim.patch(`/Users/${ann.id as string}`, deactivate).expect(200);
    await scim.patch(`/Users/${ann.id as string}`, deactivate).expect(200); // already so: unchanged
    await scim
      .patch(`/Users/${ann.id as string}`, patchBody({ op: 'remove', path: 'displayName' }))
      .expect(200);
    await scim.patch(`/Users/${ann.id as string}`, patchBody({ op: 'bogus', path: 'x' })).expect(400);
    const group = await scim
      .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ops', members: [{ value: ann.id }] })
      .expect(201);
    const addBob = patchBody({ op: 'add', path: 'members', value: [{ value: bob.id }] });
    await scim.patch(`/Groups/${group.body.id as string}`, addBob).expect(204);
    await scim.patch(`/Groups/${group.body.id as string}`, addBob).expect(204); // a member already: unchanged
    await scim
      .put(`/Groups/${group.body.id as string}`, { schemas: [GROUP_SCHEMA], displayName: 'Ops' })
      .expect(200);
    await scim.delete(`/Groups/${group.body.id as string}`).expect(204);
    await scim.delete(`/Users/${bob.id as string}`).expect(204);
    await scim.delete(`/Users/${bob.id as string}`).expect(404);
    const moved = delta(before, await scrape());

    const logged = await t.sql<{ changes: string; unchanged: string; failures: string }>(
      `SELECT count(*) FILTER (WHERE outcome = 'changed') AS changes, count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
              count(*) FILTER (WHERE outcome = 'failed') AS failures
         FROM scim_events WHERE integration_id = $1`,
      [integration.id],
    );
    // 2 creates, a PUT, 2 PATCHes that change; a group created with a member, a member added, a PUT, 2 deletes.
    expect(Number(logged[0].changes)).toBe(10);
    expect(moved(EVENTS, { kind: 'change' })).toBe(10);
    // The user deactivated again, the member added again.
    expect(Number(logged[0].unchanged)).toBe(2);
    expect(moved(EVENTS, { kind: 'unchanged' })).toBe(2);
    // The 409, the 400 and the second delete's 404.
    expect(Number(logged[0].failures)).toBe(3);
    expect(moved(EVENTS, { kind: 'failure' })).toBe(3);
  });

  it('counts a SCIM request over its in-flight cap (429) by reason, without its pause as a latency, and its summary event', async () => {
    const { integration } = await createScimDirectory(t, 'okta');
    const before = await scrape();
    // One request in flight (its body not sent yet): the next one is over the cap of 1.
    const body = JSON.stringify(userBody('held@example.com'));
    const held = openRequest(port, 'POST', '/scim/v2/Users', {
      authorization: `Bearer ${integration.token}`,
      'content-type': 'application/scim+json',
      'content-length': Buffer.byteLength(body),
    });
    await waitFor(() => t.app.get(AdmissionService).integrationInFlight(integration.id) === 1);
    await scimClient(t, integration.token).get('/Users?count=1').expect(429);
    held.finish(body);
    expect((await held.response).status).toBe(201);

    const after = await scrapeUntil((s) => s.value(EVENTS, { kind: 'refusal_summary' }) > 0);
    const moved = delta(before, after);
    expect(moved(RATE_LIMITED, { api: 'scim', reason: 'in-flight' })).toBe(1);
    expect(moved(RATE_LIMITED, { api: 'scim', reason: 'rate' })).toBe(0);
    expect(moved(RATE_LIMITED, { api: 'settings', reason: 'rate' })).toBe(0);
    expect(moved(REQUESTS, { route: '/scim/v2/Users', method: 'GET', status: '429', provider: 'okta' })).toBe(
      1,
    );
    expect(
      moved(REQUESTS, { route: '/scim/v2/Users', method: 'POST', status: '201', provider: 'okta' }),
    ).toBe(1);
    // The refusal is counted, but its duration (a deliberate half-second pause) is not a latency: left out.
    const scimList = { route: '/scim/v2/Users', method: 'GET' };
    expect(moved(`${DURATION}_count`, scimList)).toBe(0);
    expect(moved(`${DURATION}_bucket`, { ...scimList, le: '+Inf' })).toBe(0);
    expect(moved(`${DURATION}_count`, { route: '/scim/v2/Users', method: 'POST' })).toBe(1);
    // The first refusal of the minute is a summary event; the held create's event is a change.
    expect(moved(EVENTS, { kind: 'refusal_summary' })).toBe(1);
    expect(moved(EVENTS, { kind: 'change' })).toBe(1);
  });

  it('counts an admin token refused over its rate on the settings API (429, rate)', async () => {
    const tenant = await createTenant(t);
    const { integration } = await createScimDirectory(t, 'okta');
    const before = await scrape();
    // A lighter caller is being served (one SCIM request in flight) while the admin token holds two.
    const scimBody = JSON.stringify(userBody('lighter@example.com'));
    const scim = openRequest(port, 'POST', '/scim/v2/Users', {
      authorization: `Bearer ${integration.token}`,
      'content-type': 'application/scim+json',
      'content-length': Buffer.byteLength(scimBody),
    });
    await waitFor(() => t.app.get(AdmissionService).integrationInFlight(integration.id) === 1);
    const held = [1, 2].map((n) => {
      const body = JSON.stringify({ name: `held ${n} ${tenant.id}` });
      const open = openRequest(port, 'POST', '/api/v1/groups', {
        authorization: `Bearer ${tenant.adminToken}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      return { response: open.response, finish: () => open.finish(body) };
    });
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 40) {
      statuses.push(
        (await request(t.http).get('/api/v1/groups').auth(tenant.adminToken, { type: 'bearer' })).status,
      );
    }
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBe(1);
    scim.finish(scimBody);
    for (const h of held) h.finish();
    expect((await scim.response).status).toBe(201);
    expect(await Promise.all(held.map(async (h) => (await h.response).status))).toEqual([201, 201]);

    const moved = delta(before, await scrape());
    expect(moved(RATE_LIMITED, { api: 'settings', reason: 'rate' })).toBe(refused);
    expect(moved(RATE_LIMITED, { api: 'settings', reason: 'in-flight' })).toBe(0);
    expect(moved(RATE_LIMITED, { api: 'scim', reason: 'in-flight' })).toBe(0);
    expect(moved(REQUESTS, { route: '/api/v1/groups', method: 'GET', status: '429', provider: 'none' })).toBe(
      refused,
    );
    expect(moved(REQUESTS, { route: '/api/v1/groups', method: 'GET', status: '200', provider: 'none' })).toBe(
      statuses.length - refused,
    );
    expect(
      moved(REQUESTS, { route: '/api/v1/groups', method: 'POST', status: '201', provider: 'none' }),
    ).toBe(2);
    // Settings refusals are no SCIM activity.
    expect(moved(EVENTS, { kind: 'refusal_summary' })).toBe(0);
  });

  it('reports the database pool: its size, its connections, and how long checkouts waited for one', async () => {
    const before = await scrape();
    expect(before.value('rollcall_db_pool_max_connections')).toBe(2);
    expect(before.value('rollcall_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(before.value('rollcall_db_pool_connections')).toBeLessThanOrEqual(2);
    expect(before.value('rollcall_db_pool_waiting')).toBe(0);
    // Five statements at once on two connections: three wait for one of the first two.
    const sql = t.app.get(SqlService);
    await Promise.all(Array.from({ length: 5 }, () => sql.query('SELECT pg_sleep(0.02)')));
    const moved = delta(before, await scrape());
    expect(moved('rollcall_db_pool_wait_seconds_count')).toBe(3);
    // Each waited for at least one 20 ms statement to finish.
    expect(moved('rollcall_db_pool_wait_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(moved('rollcall_db_pool_wait_seconds_sum')).toBeGreaterThanOrEqual(0.06);
  });
});

describe('metrics off (no METRICS_PORT, the default)', () => {
  it('opens no listener', async () => {
    const t = await createTestApp();
    try {
      expect(t.config.metrics).toBeUndefined();
      expect(t.app.get(MetricsServer).address()).toBeUndefined();
      await request(t.http).get('/metrics').expect(404);
    } finally {
      await t.close();
    }
  });
});
