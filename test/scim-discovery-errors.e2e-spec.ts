import request from 'supertest';
import { createIntegration, createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  createUser,
  ENTERPRISE,
  eventsOf,
  expectListResponse,
  expectScimContentType,
  expectScimError,
  expectUserResponse,
  type Json,
  LOCATION_BASE,
  patchBody,
  scimClient,
  type ScimClient,
  storedUser,
  USER_SCHEMA,
  userBody,
} from './fixtures/scim';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('SCIM discovery and errors', () => {
  let t: TestApp;
  let scim: ScimClient;
  let dir: Awaited<ReturnType<typeof createScimDirectory>>;

  beforeAll(async () => {
    t = await createTestApp();
    dir = await createScimDirectory(t, 'entra');
    scim = scimClient(t, dir.integration.token);
  });
  afterAll(() => t.close());

  describe('discovery', () => {
    it('ServiceProviderConfig is truthful', async () => {
      const res = await scim.get('/ServiceProviderConfig?aadOptscim062020').expect(200);
      expectScimContentType(res);
      expect(res.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 2 * 1024 * 1024 },
        filter: { supported: true, maxResults: 1000 },
        changePassword: { supported: true },
        sort: { supported: true },
        etag: { supported: true },
        meta: { resourceType: 'ServiceProviderConfig', location: `${LOCATION_BASE}/ServiceProviderConfig` },
      });
      expect(res.body.authenticationSchemes).toEqual([
        expect.objectContaining({ type: 'oauthbearertoken', primary: true }),
      ]);
    });

    it('ResourceTypes is a ListResponse, and /ResourceTypes/User the User type', async () => {
      const list = expectListResponse(await scim.get('/ResourceTypes'));
      expect(list.totalResults).toBe(list.Resources.length);
      const user = list.Resources.find((r) => r.id === 'User');
      expect(user).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        schema: USER_SCHEMA,
        schemaExtensions: [{ schema: ENTERPRISE, required: false }],
        meta: { resourceType: 'ResourceType', location: `${LOCATION_BASE}/ResourceTypes/User` },
      });
      const one = await scim.get('/ResourceTypes/User').expect(200);
      expectScimContentType(one);
      expect(one.body).toEqual(user);
      expectScimError(await scim.get('/ResourceTypes/Printer'), 404);
    });

    it('Schemas is a ListResponse of the User, enterprise and Group schemas, and /Schemas/:id one of them', async () => {
      const list = expectListResponse(await scim.get('/Schemas'));
      expect(list.Resources.map((s) => s.id)).toEqual(
        expect.arrayContaining([USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA]),
      );
      const user = await scim.get(`/Schemas/${USER_SCHEMA}`).expect(200);
      expectScimContentType(user);
      expect(user.body.meta).toEqual({
        resourceType: 'Schema',
        location: `${LOCATION_BASE}/Schemas/${USER_SCHEMA}`,
      });
      const attr = (name: string) => user.body.attributes.find((a: Json) => a.name === name);
      expect(attr('userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
      expect(attr('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
      expect(attr('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
      const enterprise = await scim.get(`/Schemas/${ENTERPRISE}`).expect(200);
      expect(enterprise.body.attributes.map((a: Json) => a.name)).toEqual(
        expect.arrayContaining(['department', 'manager']),
      );
      expectScimError(await scim.get('/Schemas/urn:nope'), 404);
    });

    it('/Me is 501', async () => {
      expectScimError(await scim.get('/Me'), 501);
      expectScimError(await scim.post('/Me', userBody('me@example.com')), 501);
    });

    it('needs the SCIM token', async () => {
      const res = await request(t.http).get('/scim/v2/ServiceProviderConfig');
      expectScimError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });
  });

  describe('errors', () => {
    it('malformed JSON is 400 invalidSyntax and stores nothing', async () => {
      const user = await createUser(scim, 'json.victim@example.com');
      const before = await storedUser(t, user.id);
      const bad =
        '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "broken@example.com",';
      expectScimError(await scim.post('/Users', bad), 400, 'invalidSyntax');
      expectScimError(await scim.put(`/Users/${user.id}`, bad), 400, 'invalidSyntax');
      expectScimError(await scim.patch(`/Users/${user.id}`, '{"Operations": [}'), 400, 'invalidSyntax');
      expectScimError(await scim.post('/Users/.search', 'nope'), 400, 'invalidSyntax');
      expect(await storedUser(t, user.id)).toEqual(before);
      expect(await t.sql(`SELECT 1 FROM scim_users WHERE user_name = 'broken@example.com'`)).toHaveLength(0);
    });

    it('wrong types are 400 invalidValue', async () => {
      const user = await createUser(scim, 'types.victim@example.com');
      expectScimError(
        await scim.post('/Users', userBody('wrong@example.com', { active: 3 })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.post('/Users', userBody('wrong@example.com', { emails: [{ value: true }] })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.post('/Users', userBody('wrong@example.com', { [ENTERPRISE]: 'Sales' })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.put(`/Users/${user.id}`, userBody('types.victim@example.com', { name: ['x'] })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'active', value: 'perhaps' })),
        400,
        'invalidValue',
      );
      expectScimError(await scim.get('/Users?count=many'), 400, 'invalidValue');
      expect((await storedUser(t, user.id))!.version).toBe(1);
    });

    it('a readOnly attribute in a PATCH path is 400 mutability', async () => {
      const user = await createUser(scim, 'readonly@example.com');
      expectScimError(
        await scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'id', value: 'mine' })),
        400,
        'mutability',
      );
      expectScimError(
        await scim.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'replace', path: 'meta.lastModified', value: '2020-01-01T00:00:00Z' }),
        ),
        400,
        'mutability',
      );
      expect((await storedUser(t, user.id))!.version).toBe(1);
    });

    it('an unknown route is 404', async () => {
      for (const path of ['/Nope', '/Users/a/b', '/Devices/1', '']) {
        expectScimError(await scim.get(path), 404);
      }
    });

    it('a wrong method is 405 with Allow', async () => {
      const user = await createUser(scim, 'method@example.com');
      const cases: [request.Test, string][] = [
        [scim.delete('/Users'), 'GET, POST'],
        [scim.put('/Users', userBody('x@example.com')), 'GET, POST'],
        [scim.patch('/Users', patchBody({ op: 'remove', path: 'title' })), 'GET, POST'],
        [scim.get('/Users/.search'), 'POST'],
        [scim.delete('/Groups/.search'), 'POST'],
        [scim.get('/Groups/.search'), 'POST'],
        [scim.post(`/Users/${user.id}`, userBody('x@example.com')), 'GET, PUT, PATCH, DELETE'],
        [scim.delete('/ServiceProviderConfig'), 'GET'],
      ];
      for (const [req, allow] of cases) {
        const res = await req;
        expectScimError(res, 405);
        expect(res.headers.allow).toBe(allow);
      }
      expect((await storedUser(t, user.id))!.version).toBe(1);
    });

    it('a failed precondition is 412', async () => {
      const user = await createUser(scim, 'precondition@example.com');
      expectScimError(
        await scim.put(`/Users/${user.id}`, userBody('precondition@example.com')).set('If-Match', 'W/"5"'),
        412,
      );
    });

    it('a conflict is 409 uniqueness', async () => {
      await createUser(scim, 'conflict@example.com');
      expectScimError(await scim.post('/Users', userBody('CONFLICT@example.com')), 409, 'uniqueness');
    });

    it('an unsupported content type is 415; application/json and application/scim+json are accepted', async () => {
      const body = JSON.stringify(userBody('ctype@example.com'));
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
        const res = await request(t.http)
          .post('/scim/v2/Users')
          .auth(dir.integration.token, { type: 'bearer' })
          .set('Content-Type', type)
          .send(body);
        expectScimError(res, 415);
      }
      const user = await createUser(scim, 'ctype.put@example.com');
      const put = await request(t.http)
        .put(`/scim/v2/Users/${user.id}`)
        .auth(dir.integration.token, { type: 'bearer' })
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify(userBody('ctype.put@example.com', { title: 'x' })));
      expectScimError(put, 415);
      expect((await storedUser(t, user.id))!.version).toBe(1);
      expect(await t.sql(`SELECT 1 FROM scim_users WHERE user_name = 'ctype@example.com'`)).toHaveLength(0);
      for (const type of ['application/json; charset=utf-8', 'application/scim+json']) {
        const res = await request(t.http)
          .post('/scim/v2/Users')
          .auth(dir.integration.token, { type: 'bearer' })
          .set('Content-Type', type)
          .set('Accept', 'application/json')
          .send(JSON.stringify(userBody(`ok.${type.length}@example.com`)));
        expectUserResponse(res, 201);
      }
    });

    describe('401', () => {
      const expect401 = (res: request.Response) => {
        expectScimError(res, 401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      };

      it('without a token, with a malformed or unknown one, with an admin or operator token', async () => {
        expect401(await request(t.http).get('/scim/v2/Users'));
        expect401(
          await request(t.http)
            .post('/scim/v2/Users')
            .set('Content-Type', 'application/scim+json')
            .send(JSON.stringify(userBody('anon@example.com'))),
        );
        expect401(await request(t.http).get('/scim/v2/Users').set('Authorization', 'Bearer nonsense'));
        expect401(
          await request(t.http)
            .get('/scim/v2/Users')
            .set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`),
        );
        expect401(
          await request(t.http).get('/scim/v2/Users').auth(dir.tenant.adminToken, { type: 'bearer' }),
        );
        expect401(await request(t.http).get('/scim/v2/Users').auth(t.operatorToken, { type: 'bearer' }));
        expect(await t.sql(`SELECT 1 FROM scim_users WHERE user_name = 'anon@example.com'`)).toHaveLength(0);
      });

      it('with a revoked (rotated) token or a disabled integration', async () => {
        const integration = await createIntegration(t, dir.tenant, { provider: 'okta' });
        const admin = request(t.http);
        await admin
          .post(`/api/v1/scim-integrations/${integration.id}/token`)
          .auth(dir.tenant.adminToken, { type: 'bearer' })
          .send({ graceSeconds: 0 })
          .expect(201)
          .then(async (rotated) => {
            expect401(await scimClient(t, integration.token).get('/Users'));
            const fresh = scimClient(t, rotated.body.token as string);
            expectListResponse(await fresh.get('/Users'));
            await request(t.http)
              .patch(`/api/v1/scim-integrations/${integration.id}`)
              .auth(dir.tenant.adminToken, { type: 'bearer' })
              .send({ enabled: false })
              .expect(200);
            expect401(await fresh.get('/Users'));
          });
      });
    });

    it('records the failed requests of an authenticated caller in the activity log', async () => {
      const d = await createScimDirectory(t, 'okta');
      const c = scimClient(t, d.integration.token);
      const user = await createUser(c, 'failing@example.com');
      await c.post('/Users', userBody('bad@example.com', { active: 7 })).expect(400);
      await c.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'id', value: 'x' })).expect(400);
      await c.get('/Users/00000000-0000-4000-8000-000000000000').expect(404);
      await c.get('/Me').expect(501);
      const events = await eventsOf(t, d.integration.id);
      expect(events.map((e) => [e.method, e.path, e.status, e.scim_type])).toEqual([
        ['POST', '/Users', 201, null],
        ['POST', '/Users', 400, 'invalidValue'],
        ['PATCH', `/Users/${user.id}`, 400, 'mutability'],
        ['GET', '/Users/00000000-0000-4000-8000-000000000000', 404, null],
        ['GET', '/Me', 501, null],
      ]);
      expect(events[2]).toMatchObject({ resource_type: 'User', resource_id: user.id });
      expect(JSON.stringify(events)).not.toContain(d.integration.token);
    });
  });

  describe('with BODY_LIMIT_BYTES=2048', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
    });
    afterAll(() => small.close());

    it('a body too large is 413 and stores nothing', async () => {
      const d = await createScimDirectory(small, 'okta');
      const c = scimClient(small, d.integration.token);
      const big = userBody('big@example.com', { title: 'x'.repeat(4096) });
      expectScimError(await c.post('/Users', big), 413);
      const user = await createUser(c, 'small@example.com');
      expectScimError(await c.put(`/Users/${user.id}`, big), 413);
      expectScimError(
        await c.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'replace', path: 'title', value: 'y'.repeat(4096) }),
        ),
        413,
      );
      expect(
        await small.sql(`SELECT 1 FROM scim_users WHERE integration_id = $1`, [d.integration.id]),
      ).toHaveLength(1);
      expect((await storedUser(small, user.id))!.version).toBe(1);
    });
  });
});
