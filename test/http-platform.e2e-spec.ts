import request from 'supertest';
import { Writable } from 'node:stream';
import {
  createIntegration,
  createTenant,
  createTestApp,
  type TestApp,
  type TestTenant,
  expectApiError,
} from '@rollcall/testing';
import { listen, openRequest } from './fixtures/http';

const BODY_LIMIT = 2048;

interface Operation {
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  parameters?: { in: string; name: string }[];
}

describe('HTTP platform', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const auth = () => ({ Authorization: `Bearer ${tenant.adminToken}` });

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  describe('the settings API error shape', () => {
    it.each([
      [
        '400 validation',
        () => request(t.http).post('/api/v1/groups').set(auth()).send({}),
        400,
        'validation_failed',
      ],
      ['401 no token', () => request(t.http).get('/api/v1/groups'), 401, 'unauthorized'],
      [
        '404 not found',
        () => request(t.http).get('/api/v1/groups/00000000-0000-4000-8000-000000000000').set(auth()),
        404,
        'not_found',
      ],
      ['404 unknown route', () => request(t.http).get('/api/v1/nothing-here').set(auth()), 404, 'not_found'],
      ['404 unknown route outside the API', () => request(t.http).get('/nope'), 404, 'not_found'],
      [
        '404 unknown method on a known path',
        () => request(t.http).put('/api/v1/groups').set(auth()),
        404,
        'not_found',
      ],
    ])(
      '%s has {status, code, message, requestId} and the X-Request-Id header',
      async (_case, send, status, code) => {
        expectApiError(await send(), status, code);
      },
    );

    it('409 conflict has the shape too', async () => {
      await request(t.http).post('/api/v1/groups').set(auth()).send({ name: 'Twice' }).expect(201);
      expectApiError(
        await request(t.http).post('/api/v1/groups').set(auth()).send({ name: 'twice' }),
        409,
        'conflict',
      );
    });

    it('carries an incoming X-Request-Id into the error body', async () => {
      const res = await request(t.http).get('/api/v1/groups').set('X-Request-Id', 'trace-abc.123');
      expectApiError(res, 401, 'unauthorized');
      expect(res.body.requestId).toBe('trace-abc.123');
      expect(res.headers['x-request-id']).toBe('trace-abc.123');
    });

    it('replaces an unsafe incoming X-Request-Id with a fresh one', async () => {
      const res = await request(t.http).get('/api/v1/groups').set('X-Request-Id', 'bad id <script>');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('gives every request its own id', async () => {
      const a = await request(t.http).get('/api/v1/groups');
      const b = await request(t.http).get('/api/v1/groups');
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('answers malformed JSON with 400 invalid_json; without a token, 401 comes first', async () => {
      const res = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send('{"name": "x",');
      expectApiError(res, 400, 'invalid_json');
      const anonymous = await request(t.http)
        .post('/api/v1/groups')
        .set('Content-Type', 'application/json')
        .send('{"name": "x",');
      expectApiError(anonymous, 401, 'unauthorized');
    });

    it(`answers a body over BODY_LIMIT_BYTES (${BODY_LIMIT}) with 413 payload_too_large`, async () => {
      const res = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'x'.repeat(BODY_LIMIT + 10) });
      expectApiError(res, 413, 'payload_too_large');
      const [{ count }] = await t.sql<{ count: string }>(`SELECT count(*) FROM groups WHERE tenant_id = $1`, [
        tenant.id,
      ]);
      expect(Number(count)).toBeLessThanOrEqual(1);
      // Just under the limit is read (and then validated).
      const under = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'y'.repeat(BODY_LIMIT - 100) });
      expectApiError(under, 400, 'validation_failed');
      expect(under.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    });

    it('refuses an unknown field with a 400 naming it', async () => {
      const res = await request(t.http)
        .post('/api/v1/groups')
        .set(auth())
        .send({ name: 'ok', isAdmin: true });
      expectApiError(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'isAdmin', message: expect.stringContaining('isAdmin') }]);
      expect(res.body.message).toContain('isAdmin');
    });

    it('refuses NUL characters (which PostgreSQL cannot store) with a 400 naming the field, not a 500', async () => {
      const operator = { Authorization: `Bearer ${t.operatorToken}` };
      for (const res of [
        await request(t.http).post('/api/v1/groups').set(auth()).send({ name: 'a\u0000b' }),
        await request(t.http).post('/api/v1/tenants').set(operator).send({ name: '\u0000' }),
        await request(t.http).post('/api/v1/admin-tokens').set(auth()).send({ name: 'x\u0000' }),
        await request(t.http).get('/api/v1/groups').query({ q: 'a\u0000' }).set(auth()),
      ]) {
        expectApiError(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([
          expect.objectContaining({ field: expect.stringMatching(/^(name|q)$/) }),
        ]);
      }
      const res = await request(t.http)
        .post('/api/v1/scim-integrations')
        .set(auth())
        .send({ name: 'Okta', provider: 'okta', newGroupName: 'x\u0000' });
      expectApiError(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'newGroupName' })]);
    });

    it('reads a body without Content-Type as JSON; one of another media type is 415 (404 on an unknown route)', async () => {
      const port = await listen(t);
      const post = async (path: string, headers: Record<string, string>, body: string) => {
        const all = { ...auth(), 'Content-Length': Buffer.byteLength(body), ...headers };
        const req = openRequest(port, 'POST', path, all);
        req.finish(body);
        const res = await req.response;
        return { status: res.status, body: JSON.parse(res.body) as unknown };
      };
      const json = JSON.stringify({ name: 'no content type' });
      expect(await post('/api/v1/groups', {}, json)).toMatchObject({
        status: 201,
        body: { name: 'no content type' },
      });
      expect(await post('/api/v1/groups', { 'Content-Type': 'text/plain' }, json)).toMatchObject({
        status: 415,
        body: { status: 415, code: 'unsupported_media_type' },
      });
      expect(await post('/nope', { 'Content-Type': 'text/plain' }, json)).toMatchObject({
        status: 404,
        body: { status: 404, code: 'not_found' },
      });
    });

    it('names every invalid field at once', async () => {
      const res = await request(t.http)
        .post('/api/v1/scim-integrations')
        .set(auth())
        .send({ provider: 'nope', newGroupName: 'x', extra: 1 });
      expectApiError(res, 400, 'validation_failed');
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'provider', 'extra']));
    });
  });

  describe('headers', () => {
    it('sets helmet security headers and hides the framework', async () => {
      const res = await request(t.http).get('/health').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      // PUBLIC_URL (TEST_PUBLIC_URL) is https: pages may ask the browser to upgrade their requests (never on plain
      // http, which test/portal.e2e-spec.ts checks).
      expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('sets them on errors and API answers too', async () => {
      for (const res of [
        await request(t.http).get('/api/v1/groups'),
        await request(t.http).get('/api/v1/groups').set(auth()),
      ]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
      }
    });
    it("answers a URL that cannot be decoded (%zz) with 400 in each API's error shape, headers included", async () => {
      const integration = await createIntegration(t, tenant);
      const api = await request(t.http).get('/api/v1/groups/%zz').set(auth());
      expectApiError(api, 400, 'validation_failed');
      expect(api.headers['x-frame-options']).toBe('SAMEORIGIN');
      const scim = await request(t.http)
        .get('/scim/v2/Users/%E0%A4%A')
        .set('Authorization', `Bearer ${integration.token}`);
      expect(scim.status).toBe(400);
      expect(scim.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      expect(scim.headers['x-request-id']).toEqual(expect.any(String));
      expect(scim.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '400',
      });
    });

    it('gives SCIM answers only the headers that matter to a JSON API, computed once', async () => {
      const integration = await createIntegration(t, tenant);
      const scim = (path: string) =>
        request(t.http).get(`/scim/v2${path}`).set('Authorization', `Bearer ${integration.token}`);
      for (const res of [
        await scim('/Users'),
        await scim('/Users/nope'),
        await scim('/ServiceProviderConfig'),
      ]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
        for (const browserOnly of [
          'content-security-policy',
          'x-frame-options',
          'strict-transport-security',
        ]) {
          expect(res.headers[browserOnly]).toBeUndefined();
        }
      }
      // The settings API keeps the whole set, the same on every answer.
      const [a, b] = [await request(t.http).get('/health'), await request(t.http).get('/docs-json')];
      expect(b.headers['content-security-policy']).toBe(a.headers['content-security-policy']);
    });
  });

  describe('logs', () => {
    it('log each request as JSON with its request id, and redact the Authorization header and token parameters', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      const logged = await createTestApp({ LOG_LEVEL: 'info' }, { logStream: sink });
      try {
        const secret = tenant.adminToken;
        const res = await request(logged.http)
          .get(`/api/v1/nowhere?access_token=${secret}&token=${secret}&q=x`)
          .set('Authorization', `Bearer ${secret}`)
          .set('Cookie', `session=${secret}`)
          .set('X-Request-Id', 'log-check-1');
        expect(res.status).toBe(404);
        expect(res.headers['x-request-id']).toBe('log-check-1');
        await request(logged.http).get('/health').expect(200);
        const groups = await request(logged.http)
          .get('/api/v1/groups')
          .set('Authorization', `Bearer ${secret}`);
        expect(groups.status).toBe(200);
        const text = lines.join('\n');
        expect(text).not.toContain(secret);
        const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.req !== undefined);
        // One line per request, the health check left out.
        expect(entries.map((e) => [e.req.url.split('?')[0], e.res.statusCode])).toEqual([
          ['/api/v1/nowhere', 404],
          ['/api/v1/groups', 200],
        ]);
        expect(entries[0]).toEqual(
          expect.objectContaining({
            level: 30,
            msg: 'request completed',
            req: expect.objectContaining({ id: 'log-check-1', method: 'GET' }),
            responseTime: expect.any(Number),
          }),
        );
        expect(entries[0].req.url).toBe('/api/v1/nowhere?access_token=[Redacted]&token=[Redacted]&q=x');
        expect(entries[1].req.id).toEqual(groups.headers['x-request-id']);
      } finally {
        await logged.close();
      }
    });
  });

  describe('Swagger', () => {
    it('serves Swagger UI at /docs, with its assets', async () => {
      const res = await request(t.http).get('/docs').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('swagger-ui');
      const assets = [...res.text.matchAll(/(?:src|href)="\.\/(docs\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) await request(t.http).get(`/${asset}`).expect(200);
    });

    describe('/docs-json', () => {
      let doc: {
        openapi: string;
        paths: Record<string, Record<string, Operation>>;
        components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
      };
      const operations = () =>
        Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.entries(ops).map(([method, op]) => ({
            name: `${method.toUpperCase()} ${path}`,
            method,
            path,
            op,
          })),
        );

      beforeAll(async () => {
        const res = await request(t.http).get('/docs-json').expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        doc = res.body;
      });

      it('is OpenAPI 3 with the operator and admin bearer schemes and the error schema', () => {
        expect(doc.openapi).toMatch(/^3\./);
        expect(doc.components.securitySchemes).toEqual(
          expect.objectContaining({
            operator: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
            admin: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
          }),
        );
        expect(doc.components.schemas.ApiErrorBody).toEqual(
          expect.objectContaining({
            required: expect.arrayContaining(['status', 'code', 'message', 'requestId']),
          }),
        );
      });

      it('documents every route of the settings API', () => {
        const names = operations().map((o) => o.name);
        expect(names).toEqual(
          expect.arrayContaining([
            'GET /health',
            'POST /api/v1/tenants',
            'GET /api/v1/tenants',
            'GET /api/v1/tenants/{id}',
            'PATCH /api/v1/tenants/{id}',
            'POST /api/v1/admin-tokens',
            'GET /api/v1/admin-tokens',
            'DELETE /api/v1/admin-tokens/{id}',
            'POST /api/v1/groups',
            'GET /api/v1/groups',
            'GET /api/v1/groups/{id}',
            'PATCH /api/v1/groups/{id}',
            'DELETE /api/v1/groups/{id}',
            'GET /api/v1/groups/{id}/members',
            'POST /api/v1/scim-integrations',
            'GET /api/v1/scim-integrations',
            'GET /api/v1/scim-integrations/{id}',
            'PATCH /api/v1/scim-integrations/{id}',
            'DELETE /api/v1/scim-integrations/{id}',
            'POST /api/v1/scim-integrations/{id}/token',
            'GET /api/v1/audit-log',
            'GET /api/v1/tenants/{id}/audit-log',
          ]),
        );
      });

      it('gives every operation a summary', () => {
        const missing = operations().filter(({ op }) => !op.summary?.trim());
        expect(missing.map((o) => o.name)).toEqual([]);
      });

      it('gives every operation that takes a body a request body schema', () => {
        // Logging out of the admin portal is a POST (it changes something) that takes no body.
        const bodiless = ['POST /api/v1/portal/logout'];
        const missing = operations().filter(
          ({ name, method, op }) =>
            ['post', 'put', 'patch'].includes(method) &&
            !bodiless.includes(name) &&
            !op.requestBody?.content?.['application/json']?.schema,
        );
        expect(missing.map((o) => o.name)).toEqual([]);
      });

      const lacksOkSchema = (op: Operation) => {
        const ok = Object.entries(op.responses).filter(([code]) => /^2\d\d$/.test(code));
        if (ok.length === 0) return true;
        return ok.some(([code, r]) => code !== '204' && !r.content?.['application/json']?.schema);
      };

      it('gives every settings-API operation a 2xx response with a schema (204 excepted)', () => {
        const missing = operations().filter(({ path, op }) => path.startsWith('/api/') && lacksOkSchema(op));
        expect(missing.map((o) => o.name)).toEqual([]);
      });

      it('gives GET /health a 200 response schema', () => {
        const health = operations().find((o) => o.name === 'GET /health')!;
        expect(lacksOkSchema(health.op)).toBe(false);
      });

      it('requires a bearer token on every operation but /health', () => {
        const missing = operations().filter(
          ({ path, op }) => path !== '/health' && !(op.security ?? []).some((s) => Object.keys(s).length > 0),
        );
        expect(missing.map((o) => o.name)).toEqual([]);
        const operator = operations().filter(({ op }) => op.security?.some((s) => 'operator' in s));
        expect(
          operator
            .map((o) => o.path)
            .every((p) => p.startsWith('/api/v1/tenants') || p === '/api/v1/portal-links'),
        ).toBe(true);
        const health = operations().find((o) => o.path === '/health')!;
        expect(health.op.security ?? []).toEqual([]);
      });

      it('documents 400 and 401 on every authenticated operation, and 404 wherever there is an id', () => {
        const problems = operations()
          .filter(({ path }) => path !== '/health')
          .flatMap(({ name, path, op }) => {
            const need = ['400', '401', ...(path.includes('{id}') ? ['404'] : [])];
            return need.filter((code) => !op.responses[code]).map((code) => `${name}: ${code}`);
          });
        expect(problems).toEqual([]);
      });

      it('documents the error responses with the one error schema', () => {
        const problems = operations().flatMap(({ name, op }) =>
          Object.entries(op.responses)
            .filter(([code]) => /^4\d\d$/.test(code))
            .filter(
              ([, r]) =>
                JSON.stringify(r.content?.['application/json']?.schema) !==
                JSON.stringify({ $ref: '#/components/schemas/ApiErrorBody' }),
            )
            .map(([code]) => `${name}: ${code}`),
        );
        expect(problems).toEqual([]);
      });

      it('does not document the SCIM protocol routes as settings API', () => {
        expect(Object.keys(doc.paths).filter((p) => p.startsWith('/scim'))).toEqual([]);
      });
    });
  });
});
