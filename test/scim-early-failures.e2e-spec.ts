import request from 'supertest';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { SCIM_ERROR, USER_SCHEMA as USER } from './fixtures/scim';

/** Requests that fail before routing (bad JSON, too large, wrong type) still reach the caller's activity log. */
describe('SCIM failures before routing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t.close());

  async function failedEvents(integrationId: string) {
    return t.sql<{
      status: number;
      scim_type: string | null;
      method: string;
      path: string;
      request_id: string;
    }>(
      `SELECT status, scim_type, method, path, request_id FROM scim_events WHERE integration_id = $1 ORDER BY id`,
      [integrationId],
    );
  }

  it.each([
    ['malformed JSON', 'application/scim+json', '{"userName":', 400, 'invalidSyntax'],
    [
      'a body over the limit',
      'application/scim+json',
      JSON.stringify({ userName: 'x'.repeat(4000) }),
      413,
      null,
    ],
    ['an unsupported content type', 'text/plain', 'userName=ann', 415, null],
    [
      'a body nested hundreds of levels deep',
      'application/scim+json',
      `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep@example.com","x":${'['.repeat(500)}${']'.repeat(500)}}`,
      400,
      'invalidValue',
    ],
  ])('records %s from an authenticated integration', async (_name, type, body, status, scimType) => {
    const { integration } = await createScimDirectory(t);
    const res = await request(t.http)
      .post('/scim/v2/Users')
      .auth(integration.token, { type: 'bearer' })
      .set('Content-Type', type)
      .send(body)
      .expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: String(status) });
    const events = await failedEvents(integration.id);
    expect(events).toEqual([
      {
        status,
        scim_type: scimType,
        method: 'POST',
        path: '/Users',
        request_id: res.headers['x-request-id'],
      },
    ]);
  });

  it.each([
    ['a NUL character', JSON.stringify({ schemas: [USER], userName: 'nul\u0000@example.com' })],
    [
      'a NUL character in a key',
      JSON.stringify({ schemas: [USER], userName: 'k@example.com', 'a\u0000': 1 }),
    ],
    ['a lone surrogate', `{"schemas":["${USER}"],"userName":"half\\ud800@example.com"}`],
  ])(
    'refuses text PostgreSQL cannot store (%s) with 400 invalidValue, storing nothing',
    async (_name, body) => {
      const { integration } = await createScimDirectory(t);
      const res = await request(t.http)
        .post('/scim/v2/Users')
        .auth(integration.token, { type: 'bearer' })
        .set('Content-Type', 'application/scim+json')
        .send(body)
        .expect(400);
      expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '400', scimType: 'invalidValue' });
      const stored = await t.sql(`SELECT id FROM scim_users WHERE integration_id = $1`, [integration.id]);
      expect(stored).toEqual([]);
    },
  );

  it('answers a caller with a bad token 401 before it reads the body, and records nothing for the integration', async () => {
    const { integration } = await createScimDirectory(t);
    // The last character changed (to another one, whatever it was): the checksum no longer matches.
    const bad = integration.token.slice(0, -1) + (integration.token.endsWith('x') ? 'y' : 'x');
    const res = await request(t.http)
      .post('/scim/v2/Users')
      .auth(bad, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send('{bad')
      .expect(401);
    expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scim"');
    expect(await failedEvents(integration.id)).toEqual([]);
  });
});
