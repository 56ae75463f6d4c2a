import type { Server } from 'node:http';
import { Client } from 'pg';
import request from 'supertest';
import {
  createIntegration,
  createScimDirectory,
  createTenant,
  createTestApp,
  expectApiError,
  testDatabaseUrl,
  type TestApp,
} from '@rollcall/testing';
import { AdmissionService } from '@rollcall/tokens';
import { listen, openRequest, waitFor } from './fixtures/http';
import { SCIM_ERROR, USER_SCHEMA } from './fixtures/scim';

function userBody(userName: string): string {
  return JSON.stringify({ schemas: [USER_SCHEMA], userName });
}

/** Reads the activity log straight from the database (the app's own pool may be closed by then). */
async function eventsOf(integrationId: string) {
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    const { rows } = await db.query<{ status: number; count: number; detail: string; path: string }>(
      `SELECT status, count, detail, path FROM scim_events WHERE integration_id = $1 ORDER BY id`,
      [integrationId],
    );
    return rows;
  } finally {
    await db.end();
  }
}

describe('limits before the body', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ SCIM_MAX_CONCURRENT: '1', SCIM_MAX_IN_FLIGHT: '2' });
    port = await listen(t);
  });
  afterAll(() => t.close());

  it('answers a bad token 401 before the body arrives', async () => {
    const open = openRequest(port, 'POST', '/scim/v2/Users', {
      authorization: 'Bearer rc_scim_not-a-token',
      'content-type': 'application/scim+json',
      'content-length': 1024 * 1024,
    });
    // No body is ever sent: the answer cannot have waited for it.
    const res = await open.response;
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
    open.abort();
  });

  it('answers a method the endpoint does not have 405 with Allow, before the body arrives', async () => {
    const { integration } = await createScimDirectory(t);
    const open = openRequest(port, 'POST', '/scim/v2/Users/2819c223-7f76-453a-919d-413861904646', {
      authorization: `Bearer ${integration.token}`,
      'content-type': 'application/scim+json',
      'content-length': 1024 * 1024,
    });
    const res = await open.response;
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, PUT, PATCH, DELETE');
    expect(JSON.parse(res.body)).toMatchObject({ schemas: [SCIM_ERROR], status: '405' });
    open.abort();
  });

  it.each([
    ['?access_token=', (token: string) => request(t.http).get(`/scim/v2/Users?access_token=${token}`)],
    [
      'a form body',
      (token: string) =>
        request(t.http)
          .post('/scim/v2/Users/.search')
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send(`access_token=${token}`),
    ],
    [
      'a JSON body',
      (token: string) =>
        request(t.http).post('/scim/v2/Users/.search').set('Content-Type', 'application/scim+json').send({
          access_token: token,
        }),
    ],
  ])('takes a token only from the Authorization header, not from %s', async (_where, send) => {
    const { integration } = await createScimDirectory(t);
    const res = await send(integration.token);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
  });

  it.each(['latin-7', 'utf-7', 'iso-8859-1', 'utf-16'])(
    'refuses a body in charset=%s with 415, and stores nothing',
    async (charset) => {
      const { integration } = await createScimDirectory(t);
      const res = await request(t.http)
        .post('/scim/v2/Users')
        .auth(integration.token, { type: 'bearer' })
        .set('Content-Type', `application/scim+json; charset=${charset}`)
        .send(userBody('charset@example.com'));
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '415' });
      expect(await t.sql(`SELECT 1 FROM scim_users WHERE integration_id = $1`, [integration.id])).toEqual([]);
    },
  );

  it('accepts charset=utf-8 in any spelling', async () => {
    const { integration } = await createScimDirectory(t);
    for (const [i, charset] of ['utf-8', 'UTF-8', 'utf8', '"utf-8"'].entries()) {
      await request(t.http)
        .post('/scim/v2/Users')
        .auth(integration.token, { type: 'bearer' })
        .set('Content-Type', `application/scim+json; charset=${charset}`)
        .send(userBody(`utf8-${i}@example.com`))
        .expect(201);
    }
  });

  it('refuses a body nested deeper than 32 levels on both APIs, in their error shapes', async () => {
    const { tenant, integration } = await createScimDirectory(t);
    const deep = `{"schemas":["${USER_SCHEMA}"],"userName":"deep@example.com","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const scim = await request(t.http)
      .post('/scim/v2/Users')
      .auth(integration.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send(deep);
    expect(scim.status).toBe(400);
    expect(scim.body).toEqual({
      schemas: [SCIM_ERROR],
      status: '400',
      scimType: 'invalidValue',
      detail: 'The body nests deeper than 32 levels',
    });
    const api = await request(t.http)
      .post('/api/v1/groups')
      .auth(tenant.adminToken, { type: 'bearer' })
      .set('Content-Type', 'application/json')
      .send(`{"name":"deep","x":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`);
    expectApiError(api, 400, 'validation_failed');
    expect(api.body.message).toBe('The body nests deeper than 32 levels');
    expect(await t.sql(`SELECT 1 FROM scim_users WHERE integration_id = $1`, [integration.id])).toEqual([]);
  });

  it('keeps an error detail short when it quotes a huge attribute name', async () => {
    const { integration } = await createScimDirectory(t);
    const created = await request(t.http)
      .post('/scim/v2/Users')
      .auth(integration.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send(userBody('detail@example.com'))
      .expect(201);
    const res = await request(t.http)
      .patch(`/scim/v2/Users/${created.body.id}`)
      .auth(integration.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'x'.repeat(3000), value: 1 }],
      });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '400' });
    expect(res.body.detail).toMatch(/xxxx…$/);
    expect(res.body.detail.length).toBe(1000);
  });

  it('applies the token check to every spelling of /scim/v2', async () => {
    for (const path of ['/SCIM/V2/Users', '/scim/v2/users', '/Scim/v2/Groups']) {
      const res = await request(t.http).get(path);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
    }
  });

  it(`runs one request of an integration at a time (SCIM_MAX_CONCURRENT=1), queues the second, and refuses a third with 429`, async () => {
    const { integration } = await createScimDirectory(t);
    const headers = {
      authorization: `Bearer ${integration.token}`,
      'content-type': 'application/scim+json',
    };
    const body = userBody('first@example.com');
    const first = openRequest(port, 'POST', '/scim/v2/Users', {
      ...headers,
      'content-length': Buffer.byteLength(body),
    });
    await waitFor(() => inFlight(t, integration.id) === 1);
    const second = openRequest(port, 'GET', '/scim/v2/Users?count=1', headers);
    await waitFor(() => inFlight(t, integration.id) === 2);

    const third = await request(t.http)
      .get('/scim/v2/Users?count=1')
      .auth(integration.token, { type: 'bearer' });
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(third.body).toMatchObject({ schemas: [SCIM_ERROR], status: '429' });
    expect(third.body.detail).toContain('at most 2');

    // Another integration is served meanwhile.
    const other = await createScimDirectory(t);
    await request(t.http)
      .get('/scim/v2/Users?count=1')
      .auth(other.integration.token, { type: 'bearer' })
      .expect(200);

    first.finish(body);
    expect((await first.response).status).toBe(201);
    const queued = await second.response;
    expect(queued.status).toBe(200);
    expect(JSON.parse(queued.body).totalResults).toBe(1);
  });
});

function inFlight(t: TestApp, integrationId: string): number {
  return t.app.get(AdmissionService).integrationInFlight(integrationId);
}

describe('rate limits', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({
      SCIM_RATE_LIMIT: '1',
      SCIM_RATE_BURST: '3',
      ADMIN_RATE_LIMIT: '1',
      ADMIN_RATE_BURST: '20',
    });
    port = await listen(t);
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await t.close();
  });

  it('lets an integration alone go past its rate', async () => {
    const { integration } = await createScimDirectory(t);
    for (let i = 0; i < 10; i++) {
      await request(t.http)
        .get('/scim/v2/Users?count=1')
        .auth(integration.token, { type: 'bearer' })
        .expect(200);
    }
  });

  /** A POST whose body waits: the request stays in flight (admitted, counted) until it is finished. */
  function hold(path: string, token: string, body: string) {
    const open = openRequest(port, 'POST', path, {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    return { response: open.response, finish: () => open.finish(body) };
  }

  it('refuses an admin token over its rate while a lighter caller is served, in the settings API error shape', async () => {
    const tenant = await createTenant(t);
    const { integration } = await createScimDirectory(t);
    // One SCIM request in flight; the admin token holds two, so it is the heavier caller.
    const scim = hold('/scim/v2/Users', integration.token, userBody('slow-admin@example.com'));
    await waitFor(() => inFlight(t, integration.id) === 1);
    const held = [1, 2].map((n) =>
      hold('/api/v1/groups', tenant.adminToken, JSON.stringify({ name: `held ${n} ${tenant.id}` })),
    );
    let refused: request.Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await request(t.http).get('/api/v1/groups').auth(tenant.adminToken, { type: 'bearer' });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expectApiError(refused!, 429, 'too_many_requests');
    expect(refused!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    for (const h of [scim, ...held]) h.finish();
    expect((await scim.response).status).toBe(201);
    expect(await Promise.all(held.map(async (h) => (await h.response).status))).toEqual([201, 201]);
  });

  it('refuses an integration over its rate while a lighter one is served: 429, Retry-After, one summary event', async () => {
    const tenant = await createTenant(t);
    const flood = await createIntegration(t, tenant);
    const other = await createIntegration(t, tenant);
    // The other integration has one request in flight; the flood holds two (and spends two of its burst of 3).
    const slow = hold('/scim/v2/Users', other.token, userBody('slow@example.com'));
    await waitFor(() => inFlight(t, other.id) === 1);
    const held = [1, 2].map((n) => hold('/scim/v2/Users', flood.token, userBody(`held-${n}@example.com`)));
    await waitFor(() => inFlight(t, flood.id) === 2);

    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await request(t.http).get('/scim/v2/Users?count=1').auth(flood.token, { type: 'bearer' });
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    // The last of the burst, then (refilled at 1/s while refusals take half a second each) mostly refusals.
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(refused!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(refused!.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(refused!.body).toEqual({
      schemas: [SCIM_ERROR],
      status: '429',
      detail: expect.stringContaining('Rate limit'),
    });

    // The lighter integration was never refused.
    slow.finish();
    expect((await slow.response).status).toBe(201);
    for (const h of held) h.finish();
    expect(await Promise.all(held.map(async (h) => (await h.response).status))).toEqual([201, 201]);
    // Alone again: served, over its rate or not.
    await request(t.http).get('/scim/v2/Users?count=1').auth(flood.token, { type: 'bearer' }).expect(200);

    // Refusals are one event per integration and minute, with their count (written by the shutdown).
    await t.close();
    closed = true;
    const refusals = (await eventsOf(flood.id)).filter((e) => e.status === 429);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(2); // a minute may turn during the test
    expect(refusals.reduce((n, e) => n + e.count, 0)).toBe(statuses.filter((s) => s === 429).length);
    expect(refusals[0]).toMatchObject({ path: '/Users', detail: expect.stringContaining('Rate limit') });
    expect((await eventsOf(other.id)).filter((e) => e.status === 429)).toEqual([]);
  });
});

describe('timeouts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ DB_LOCK_TIMEOUT_MS: '200' });
  });
  afterAll(() => t.close());

  it('answers a request that waits too long for a row lock 503 with Retry-After, changes nothing and frees its connection', async () => {
    const { integration } = await createScimDirectory(t);
    const created = await request(t.http)
      .post('/scim/v2/Users')
      .auth(integration.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send(userBody('locked@example.com'))
      .expect(201);
    const id = created.body.id as string;
    const holder = new Client({ connectionString: testDatabaseUrl() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM scim_users WHERE id = $1 FOR UPDATE', [id]);
      for (let i = 0; i < 3; i++) {
        const res = await request(t.http)
          .patch(`/scim/v2/Users/${id}`)
          .auth(integration.token, { type: 'bearer' })
          .set('Content-Type', 'application/scim+json')
          .send({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'replace', value: { active: false } }],
          });
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '503' });
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const [row] = await t.sql<{ active: boolean }>(`SELECT active FROM scim_users WHERE id = $1`, [id]);
    expect(row.active).toBe(true);
    // The connections went back to the pool: the server still answers.
    await request(t.http).get(`/scim/v2/Users/${id}`).auth(integration.token, { type: 'bearer' }).expect(200);
  });

  it('applies the HTTP timeouts from the configuration', () => {
    const server: Server = t.app.getHttpServer();
    expect(server.headersTimeout).toBe(t.config.timeouts.httpHeadersMs);
    expect(server.requestTimeout).toBe(t.config.timeouts.httpRequestMs);
    expect(server.keepAliveTimeout).toBe(t.config.timeouts.httpKeepAliveMs);
  });
});

describe('large bodies', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ LARGE_BODY_CONCURRENCY: '1' });
    port = await listen(t);
  });
  afterAll(() => t.close());

  /** A user body over 64 KiB (a large body), within every input limit. */
  function largeUser(userName: string): string {
    const addresses = Array.from({ length: 80 }, (_, i) => ({
      type: 'work',
      streetAddress: `${i} ${'x'.repeat(1000)}`,
    }));
    return JSON.stringify({ schemas: [USER_SCHEMA], userName, addresses });
  }

  it('handles one large body at a time (LARGE_BODY_CONCURRENCY=1) while small requests go on', async () => {
    const a = await createScimDirectory(t);
    const b = await createScimDirectory(t);
    const bodyA = largeUser('large-a@example.com');
    const bodyB = largeUser('large-b@example.com');
    expect(Buffer.byteLength(bodyA)).toBeGreaterThan(64 * 1024);
    const open = (token: string, body: string) =>
      openRequest(port, 'POST', '/scim/v2/Users', {
        authorization: `Bearer ${token}`,
        'content-type': 'application/scim+json',
        'content-length': Buffer.byteLength(body),
      });
    const first = open(a.integration.token, bodyA);
    await waitFor(() => inFlight(t, a.integration.id) === 1);
    const second = open(b.integration.token, bodyB);
    second.finish(bodyB);
    let secondDone = false;
    void second.response.then(() => (secondDone = true));
    // A small request of a third integration is served while the large one waits its turn.
    const c = await createScimDirectory(t);
    await request(t.http)
      .post('/scim/v2/Users')
      .auth(c.integration.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send(userBody('small@example.com'))
      .expect(201);
    expect(secondDone).toBe(false);
    first.finish(bodyA);
    expect((await first.response).status).toBe(201);
    expect((await second.response).status).toBe(201);
  });
});
