/*
 * Conditional requests (RFC 7232 with SCIM's weak ETags) and method / media type checks before the body, sent
 * as raw HTTP requests with exactly the headers a client sends.
 */
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { listen, openRequest, type RawResponse } from './fixtures/http';
import {
  createUser,
  PATCH_OP,
  SCIM_ERROR,
  scimClient,
  type ScimClient,
  storedUser,
  USER_SCHEMA,
} from './fixtures/scim';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';

describe('SCIM conditional requests, methods and media types', () => {
  let t: TestApp;
  let port: number;
  let token: string;
  let scim: ScimClient;

  beforeAll(async () => {
    t = await createTestApp();
    port = await listen(t);
    const dir = await createScimDirectory(t, 'entra');
    token = dir.integration.token;
    scim = scimClient(t, token);
  });
  afterAll(() => t.close());

  /** One request with exactly these headers (and Content-Length for a body), as a client sends it. */
  async function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RawResponse & { json?: Record<string, unknown> }> {
    const all: Record<string, string | number> = { Authorization: `Bearer ${token}`, ...headers };
    if (body !== undefined) all['Content-Length'] = Buffer.byteLength(body);
    const req = openRequest(port, method, `/scim/v2${path}`, all);
    req.finish(body);
    const res = await req.response;
    return { ...res, json: res.body === '' ? undefined : (JSON.parse(res.body) as Record<string, unknown>) };
  }

  function expectError(res: RawResponse & { json?: Record<string, unknown> }, status: number): void {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status, type: SCIM_TYPE });
    expect(res.json).toMatchObject({ schemas: [SCIM_ERROR], status: String(status) });
  }

  describe('If-None-Match on GET', () => {
    let userId: string;
    let groupId: string;

    beforeAll(async () => {
      userId = (await createUser(scim, 'conditional@example.com')).id;
      // Version 2: a write after the creation.
      await scim
        .patch(`/Users/${userId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'title', value: 'T' }],
        })
        .expect(200);
      groupId = (
        await scim
          .post('/Groups', {
            schemas: [GROUP_SCHEMA],
            displayName: 'Conditional',
            members: [{ value: userId }],
          })
          .expect(201)
      ).body.id;
    });

    it.each([
      ['Users', 'W/"2"', () => userId],
      ['Users', '*', () => userId],
      ['Users', 'W/"1", W/"2"', () => userId],
      ['Users', '"2"', () => userId],
      ['Groups', 'W/"1"', () => groupId],
      ['Groups', 'W/"7", W/"1"', () => groupId],
      ['Groups', '*', () => groupId],
    ])('GET /%s/:id with If-None-Match: %s is 304 with the ETag and no body', async (collection, tag, id) => {
      const version = collection === 'Users' ? 'W/"2"' : 'W/"1"';
      for (const method of ['GET', 'HEAD']) {
        const res = await send(method, `/${collection}/${id()}`, {
          Accept: 'application/scim+json',
          'If-None-Match': tag,
        });
        expect(res.status).toBe(304);
        expect(res.headers.etag).toBe(version);
        expect(res.body).toBe('');
        expect(res.headers['content-type']).toBeUndefined();
      }
    });

    it.each([
      ['Users', 'W/"1"'],
      ['Users', 'W/"1", W/"3"'],
      ['Users', 'W/"abc"'],
      ['Groups', 'W/"2"'],
    ])(
      'GET /%s/:id with If-None-Match: %s (not the current version) is 200 with the resource',
      async (collection, tag) => {
        const id = collection === 'Users' ? userId : groupId;
        const res = await send('GET', `/${collection}/${id}`, { 'If-None-Match': tag });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe(SCIM_TYPE);
        expect(res.headers.etag).toBe((res.json!.meta as { version: string }).version);
        expect(res.json).toMatchObject({ id });
      },
    );

    it('If-None-Match: * on a resource that does not exist is 404; on a list it is ignored', async () => {
      expectError(
        await send('GET', '/Users/00000000-0000-4000-8000-000000000000', { 'If-None-Match': '*' }),
        404,
      );
      const list = await send('GET', '/Users', { 'If-None-Match': '*' });
      expect(list.status).toBe(200);
      expect(list.headers.etag).toBeUndefined();
    });
  });

  describe('If-Match and If-None-Match on PUT, PATCH and DELETE', () => {
    const json = { 'Content-Type': 'application/scim+json' };
    const patch = (title: string) =>
      JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: title }] });

    it('If-Match: a list matches when any of its ETags names the current version; otherwise 412 and nothing changes', async () => {
      const { id } = await createUser(scim, 'ifmatch.list@example.com');
      expectError(
        await send('PATCH', `/Users/${id}`, { ...json, 'If-Match': 'W/"2", W/"3"' }, patch('no')),
        412,
      );
      expect((await storedUser(t, id))!.version).toBe(1);
      const ok = await send('PATCH', `/Users/${id}`, { ...json, 'If-Match': 'W/"5", W/"1"' }, patch('yes'));
      expect(ok.status).toBe(200);
      expect(ok.headers.etag).toBe('W/"2"');
      expect(ok.json).toMatchObject({ title: 'yes' });
      const put = JSON.stringify({
        schemas: [USER_SCHEMA],
        userName: 'ifmatch.list@example.com',
        title: 'put',
      });
      expect((await send('PUT', `/Users/${id}`, { ...json, 'If-Match': '"9", "2"' }, put)).status).toBe(200);
      expectError(await send('DELETE', `/Users/${id}`, { 'If-Match': 'W/"1", W/"2"' }), 412);
      expect((await send('DELETE', `/Users/${id}`, { 'If-Match': 'W/"1", W/"3"' })).status).toBe(204);
      expect(await storedUser(t, id)).toBeUndefined();
    });

    it('If-Match: * matches any existing resource, and a missing one is 404', async () => {
      const { id } = await createUser(scim, 'ifmatch.star@example.com');
      expect((await send('PATCH', `/Users/${id}`, { ...json, 'If-Match': '*' }, patch('x'))).status).toBe(
        200,
      );
      expectError(
        await send('DELETE', '/Users/00000000-0000-4000-8000-000000000000', { 'If-Match': '*' }),
        404,
      );
      expectError(
        await send('DELETE', '/Users/00000000-0000-4000-8000-000000000000', { 'If-Match': 'W/"1", W/"2"' }),
        404,
      );
    });

    it('If-None-Match: * or the current version on a write is 412 and changes nothing; another version goes through', async () => {
      const { id } = await createUser(scim, 'ifnonematch@example.com');
      for (const tag of ['*', 'W/"1"', 'W/"4", "1"']) {
        const res = await send('PATCH', `/Users/${id}`, { ...json, 'If-None-Match': tag }, patch('no'));
        expectError(res, 412);
        expect(res.json!.detail).toBe(`The resource's ETag W/"1" matches If-None-Match`);
      }
      expectError(await send('DELETE', `/Users/${id}`, { 'If-None-Match': '*' }), 412);
      expect((await storedUser(t, id))!.version).toBe(1);
      const ok = await send('PATCH', `/Users/${id}`, { ...json, 'If-None-Match': 'W/"7"' }, patch('yes'));
      expect(ok.status).toBe(200);
      expect(ok.headers.etag).toBe('W/"2"');
    });

    it('works the same on groups (PATCH answers 204 with the new ETag)', async () => {
      const { id } = (
        await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Cond W' }).expect(201)
      ).body;
      const rename = JSON.stringify({
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Cond W2' }],
      });
      expectError(await send('PATCH', `/Groups/${id}`, { ...json, 'If-Match': 'W/"2", W/"3"' }, rename), 412);
      expectError(await send('PATCH', `/Groups/${id}`, { ...json, 'If-None-Match': '*' }, rename), 412);
      const ok = await send('PATCH', `/Groups/${id}`, { ...json, 'If-Match': 'W/"3", W/"1"' }, rename);
      expect(ok.status).toBe(204);
      expect(ok.headers.etag).toBe('W/"2"');
      expectError(await send('DELETE', `/Groups/${id}`, { 'If-None-Match': 'W/"2"' }), 412);
      expect((await send('DELETE', `/Groups/${id}`, { 'If-Match': 'W/"1", W/"2"' })).status).toBe(204);
    });
  });

  describe('method and media type before the body', () => {
    it.each(['/ServiceProviderConfig', '/ResourceTypes', '/Schemas', '/Schemas/' + USER_SCHEMA])(
      'POST %s is 405 with Allow: GET whatever the body',
      async (path) => {
        for (const [headers, body] of [
          [{ 'Content-Type': 'text/plain' }, 'test'],
          [{ 'Content-Type': 'application/scim+json' }, 'test'],
          [{ 'Content-Type': 'application/scim+json' }, '{"schemas":[]}'],
          [{}, 'test'],
          [{ 'Content-Type': 'application/xml' }, '<a/>'],
        ] as const) {
          const res = await send('POST', path, headers, body);
          expectError(res, 405);
          expect(res.headers.allow).toBe('GET');
        }
      },
    );

    it('PUT /Users (no id) with a text body is 405 with Allow: GET, POST', async () => {
      const res = await send('PUT', '/Users', { 'Content-Type': 'text/plain' }, 'test');
      expectError(res, 405);
      expect(res.headers.allow).toBe('GET, POST');
    });

    it('POST /Users with a JSON body and no Content-Type reads it as JSON (as Okta’s spec test sends it)', async () => {
      const body = JSON.stringify({
        schemas: [USER_SCHEMA],
        userName: 'no.content.type@example.com',
        active: true,
      });
      const res = await send('POST', '/Users', { Accept: 'application/scim+json' }, body);
      expect(res.headers['content-type']).toBe(SCIM_TYPE);
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ userName: 'no.content.type@example.com', active: true });
      expect(res.headers.etag).toBe('W/"1"');
      const id = res.json!.id as string;
      const patched = await send(
        'PATCH',
        `/Users/${id}`,
        {},
        JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }),
      );
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ active: false });
      // Without a Content-Type, a body that is not JSON is malformed JSON.
      expectError(await send('POST', '/Users', {}, 'test'), 400);
    });

    it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])(
      'a body declared as %s on an endpoint that takes one is 415, and stores nothing',
      async (type) => {
        const body = JSON.stringify({ schemas: [USER_SCHEMA], userName: `typed.${type.length}@example.com` });
        expectError(await send('POST', '/Users', { 'Content-Type': type }, body), 415);
        expect(
          await t.sql(`SELECT 1 FROM scim_users WHERE user_name = $1`, [`typed.${type.length}@example.com`]),
        ).toEqual([]);
      },
    );
  });

  it('the settings API reads a body without Content-Type as JSON too', async () => {
    const dir = await createScimDirectory(t);
    const req = openRequest(port, 'POST', '/api/v1/groups', {
      Authorization: `Bearer ${dir.tenant.adminToken}`,
      'Content-Length': Buffer.byteLength('{"name":"No type"}'),
    });
    req.finish('{"name":"No type"}');
    const res = await req.response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ name: 'No type' });
    const text = openRequest(port, 'POST', '/api/v1/groups', {
      Authorization: `Bearer ${dir.tenant.adminToken}`,
      'Content-Type': 'text/plain',
      'Content-Length': 4,
    });
    text.finish('test');
    expect((await text.response).status).toBe(415);
  });
});
