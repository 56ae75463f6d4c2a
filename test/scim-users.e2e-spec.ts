import request from 'supertest';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { entraCreateUser, entraCreateUserStringBoolean } from './fixtures/entra';
import { OKTA_DEACTIVATE, oktaCreateUser, oktaPutUser } from './fixtures/okta';
import {
  createUser,
  ENTERPRISE,
  eventsOf,
  expectListResponse,
  expectScimError,
  expectUserResponse,
  filterQuery,
  type Json,
  NO_SUCH_ID,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
  storedUser,
  USER_SCHEMA,
  userBody,
} from './fixtures/scim';

const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const ACME_VALUE = {
  badgeNumber: 'B-1234',
  clearance: { level: 3, zones: ['north', 'lab'] },
  mentors: [{ value: 'x', primary: true }],
  flags: [true, false, null],
};

describe('SCIM /Users', () => {
  let t: TestApp;
  let scim: ScimClient;
  let integration: { id: string; token: string; groupId: string };
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    const dir = await createScimDirectory(t, 'okta');
    integration = dir.integration;
    adminToken = dir.tenant.adminToken;
    scim = scimClient(t, integration.token);
  });
  afterAll(() => t.close());

  describe('the Okta flow', () => {
    it('looks up, creates, reads, updates with PUT and deactivates a user', async () => {
      const userName = 'test.user@okta.local';
      // "Test API Credentials" / the look-up before a create.
      const lookup = expectListResponse(
        await scim.get(filterQuery(`userName eq "${userName}"`, '&startIndex=1&count=100')),
      );
      expect(lookup).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0 });

      const created = expectUserResponse(await scim.post('/Users', oktaCreateUser(userName)), 201);
      expect(created).toEqual({
        schemas: [USER_SCHEMA],
        id: expect.any(String),
        userName,
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: userName, type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        active: true,
        meta: expect.any(Object),
      });
      expect(created.meta.version).toBe('W/"1"');
      expect(created.meta.created).toBe(created.meta.lastModified);

      const row = await storedUser(t, created.id);
      expect(row).toMatchObject({
        integration_id: integration.id,
        user_name: userName,
        external_id: '00ujl29u0le5T6Aj10h7',
        display_name: 'Test User',
        active: true,
        version: 1,
      });
      expect(row!.password_hash).toMatch(/^scrypt\$/);
      expect(row!.password_hash).not.toContain('1mz050nq');
      expect(JSON.stringify(row!.resource)).not.toContain('1mz050nq');
      expect(row!.resource).not.toHaveProperty('id');
      expect(row!.resource).not.toHaveProperty('meta');
      expect(row!.resource).not.toHaveProperty('groups');
      expect(row!.resource).not.toHaveProperty('password');
      const members = await t.sql(`SELECT group_id FROM group_members WHERE user_id = $1`, [created.id]);
      expect(members).toEqual([{ group_id: integration.groupId }]);

      const found = expectListResponse(await scim.get(filterQuery(`userName eq "${userName}"`)));
      expect(found.totalResults).toBe(1);
      expect(found.Resources[0]).toEqual(created);

      const got = expectUserResponse(await scim.get(`/Users/${created.id}`), 200);
      expect(got).toEqual(created);

      // Okta's PUT echoes id, meta and groups, and sends the password again.
      const put = expectUserResponse(await scim.put(`/Users/${created.id}`, oktaPutUser(got)), 200);
      expect(put.id).toBe(created.id);
      expect(put.name).toEqual({ givenName: 'Another', familyName: 'User' });
      expect(put.displayName).toBe('Another User');
      expect(put).not.toHaveProperty('groups');
      expect(put.meta.created).toBe(created.meta.created);
      expect(put.meta.location).toBe(created.meta.location);
      expect(put.meta.version).toBe('W/"2"');
      expect(Date.parse(put.meta.lastModified)).toBeGreaterThanOrEqual(Date.parse(created.meta.lastModified));
      const afterPut = await storedUser(t, created.id);
      expect(afterPut!.password_hash).not.toBe(row!.password_hash);
      expect(afterPut!.created_at).toEqual(row!.created_at);
      expect(afterPut!.resource).not.toHaveProperty('meta');
      expect(afterPut!.resource).not.toHaveProperty('groups');

      const deactivated = expectUserResponse(await scim.patch(`/Users/${created.id}`, OKTA_DEACTIVATE), 200);
      expect(deactivated.active).toBe(false);
      expect(deactivated.meta.version).toBe('W/"3"');
      expect((await storedUser(t, created.id))!.active).toBe(false);
      // Okta looks the user up again before it would create it: deactivated users are found.
      const again = expectListResponse(
        await scim.get(filterQuery(`userName eq "${userName.toUpperCase()}"`)),
      );
      expect(again.totalResults).toBe(1);
      expect(again.Resources[0].active).toBe(false);
    });
  });

  describe('the Entra flow', () => {
    let entra: ScimClient;
    beforeAll(async () => {
      entra = scimClient(t, (await createScimDirectory(t, 'entra')).integration.token);
    });

    it('creates a user with the enterprise extension and a manager, and ignores its meta', async () => {
      const manager = await createUser(entra, 'manager@contoso.com');
      const body = entraCreateUser('Test_User_ab6490ee@contoso.com', manager.id);
      const created = expectUserResponse(await entra.post('/Users?aadOptscim062020', body), 201);
      expect(created.schemas).toEqual([USER_SCHEMA, ENTERPRISE]);
      expect(created[ENTERPRISE]).toEqual({
        employeeNumber: '701984',
        costCenter: '4130',
        organization: 'Universal Studios',
        division: 'Theme Park',
        department: 'Tour Operations',
        manager: { value: manager.id },
      });
      expect(created.roles).toBeUndefined();
      expect(created.meta.resourceType).toBe('User');
      const got = expectUserResponse(await entra.get(`/Users/${created.id}?aadOptscim062020`), 200);
      expect(got).toEqual(created);
      const row = await storedUser(t, created.id);
      expect(row!.resource[ENTERPRISE].manager).toEqual({ value: manager.id });
    });

    it('takes the strings "True"/"False" for booleans in POST and PUT', async () => {
      const created = expectUserResponse(
        await entra.post('/Users', entraCreateUserStringBoolean('bools@contoso.com')),
        201,
      );
      expect(created.active).toBe(true);
      expect(created.emails).toEqual([{ primary: true, type: 'home', value: 'home@example.com' }]);
      const put = expectUserResponse(
        await entra.put(`/Users/${created.id}`, userBody('bools@contoso.com', { active: 'False' })),
        200,
      );
      expect(put.active).toBe(false);
      expect((await storedUser(t, created.id))!.active).toBe(false);
    });
  });

  describe('create', () => {
    it('ignores a client-sent id and meta, accepts application/json, and never returns the password', async () => {
      const res = await request(t.http)
        .post('/scim/v2/Users')
        .auth(integration.token, { type: 'bearer' })
        .set('Content-Type', 'application/json')
        .send(
          userBody('client.id@example.com', {
            id: NO_SUCH_ID,
            meta: { created: '2000-01-01T00:00:00Z', version: 'W/"42"', location: 'https://evil.example/x' },
            password: 'Secret#Pass1',
          }),
        );
      const user = expectUserResponse(res, 201);
      expect(user.id).not.toBe(NO_SUCH_ID);
      expect(user.meta.version).toBe('W/"1"');
      expect(user.meta.created).not.toBe('2000-01-01T00:00:00Z');
      expect(JSON.stringify(user)).not.toContain('Secret#Pass1');
      const row = await storedUser(t, user.id);
      expect(row!.password_hash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(row)).not.toContain('Secret#Pass1');
      expectScimError(await scim.get(`/Users/${NO_SUCH_ID}`), 404);
    });

    it('ignores groups sent by the client: groups are read-only, derived from memberships', async () => {
      const user = expectUserResponse(
        await scim.post(
          '/Users',
          userBody('groups.ro@example.com', { groups: [{ value: integration.groupId }] }),
        ),
        201,
      );
      expect(user.groups).toBeUndefined();
      expect((await storedUser(t, user.id))!.resource.groups).toBeUndefined();
      const patched = await scim.patch(
        `/Users/${user.id}`,
        patchBody({ op: 'add', path: 'groups', value: [{ value: integration.groupId }] }),
      );
      expectScimError(patched, 400, 'mutability');
    });

    it('round-trips an unknown extension unchanged through POST, GET, PUT and list', async () => {
      const body = { ...userBody('acme@example.com'), schemas: [USER_SCHEMA, ACME], [ACME]: ACME_VALUE };
      const created = expectUserResponse(await scim.post('/Users', body), 201);
      expect(created.schemas).toEqual([USER_SCHEMA, ACME]);
      expect(created[ACME]).toEqual(ACME_VALUE);
      expect((await storedUser(t, created.id))!.resource[ACME]).toEqual(ACME_VALUE);
      expect(expectUserResponse(await scim.get(`/Users/${created.id}`), 200)[ACME]).toEqual(ACME_VALUE);
      const changed = { ...ACME_VALUE, badgeNumber: 'B-9999' };
      const put = expectUserResponse(
        await scim.put(`/Users/${created.id}`, { ...body, displayName: 'Acme', [ACME]: changed }),
        200,
      );
      expect(put[ACME]).toEqual(changed);
      expect(put.schemas).toEqual([USER_SCHEMA, ACME]);
      const list = expectListResponse(await scim.get(filterQuery(`id eq "${created.id}"`)));
      expect(list.Resources[0][ACME]).toEqual(changed);
      // Attributes we do not model at the top level are kept too.
      const custom = expectUserResponse(
        await scim.post('/Users', userBody('custom.top@example.com', { favouriteColour: 'teal' })),
        201,
      );
      expect(custom.favouriteColour).toBe('teal');
    });

    it('keeps the whole core schema', async () => {
      const full = {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: 'bjensen@example.com',
        externalId: 'bjensen',
        name: {
          formatted: 'Ms. Barbara J Jensen, III',
          familyName: 'Jensen',
          givenName: 'Barbara',
          middleName: 'Jane',
          honorificPrefix: 'Ms.',
          honorificSuffix: 'III',
        },
        displayName: 'Babs Jensen',
        nickName: 'Babs',
        profileUrl: 'https://login.example.com/bjensen',
        emails: [
          { value: 'bjensen@example.com', type: 'work', primary: true },
          { value: 'babs@jensen.org', type: 'home' },
        ],
        addresses: [
          {
            type: 'work',
            streetAddress: '100 Universal City Plaza',
            locality: 'Hollywood',
            region: 'CA',
            postalCode: '91608',
            country: 'USA',
            formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA',
            primary: true,
          },
        ],
        phoneNumbers: [{ value: '555-555-5555', type: 'work' }],
        ims: [{ value: 'someaimhandle', type: 'aim' }],
        photos: [{ value: 'https://photos.example.com/profilephoto/72930000000Ccne/F', type: 'photo' }],
        userType: 'Employee',
        title: 'Tour Guide',
        preferredLanguage: 'en-US',
        locale: 'en-US',
        timezone: 'America/Los_Angeles',
        active: true,
        entitlements: [{ value: 'beta' }],
        roles: [{ value: 'guide' }],
        x509Certificates: [{ value: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx' }],
        [ENTERPRISE]: {
          employeeNumber: '701984',
          costCenter: '4130',
          organization: 'Universal Studios',
          division: 'Theme Park',
          department: 'Tour Operations',
          manager: {
            value: NO_SUCH_ID,
            $ref: `https://rollcall.test/scim/v2/Users/${NO_SUCH_ID}`,
            displayName: 'John Smith',
          },
        },
      };
      const created = expectUserResponse(await scim.post('/Users', full), 201);
      const { meta: _meta, id: _id, ...rest } = created;
      const expected: Json = structuredClone(full);
      delete expected[ENTERPRISE].manager.displayName; // readOnly: ignored in requests
      expect(rest).toEqual(expected);
    });

    it('refuses a duplicate userName in any case with 409 uniqueness', async () => {
      await createUser(scim, 'Dup.User@Example.com');
      const res = await scim.post('/Users', userBody('dup.user@example.COM'));
      expectScimError(res, 409, 'uniqueness');
      const rows = await t.sql(
        `SELECT 1 FROM scim_users WHERE integration_id = $1 AND lower(user_name) = $2`,
        [integration.id, 'dup.user@example.com'],
      );
      expect(rows).toHaveLength(1);
    });

    it('refuses a missing userName or schemas, and wrong types, with 400 invalidValue', async () => {
      expectScimError(await scim.post('/Users', { schemas: [USER_SCHEMA] }), 400, 'invalidValue');
      expectScimError(await scim.post('/Users', { userName: 'no.schemas@example.com' }), 400, 'invalidValue');
      expectScimError(await scim.post('/Users', userBody('   ')), 400, 'invalidValue');
      expectScimError(
        await scim.post('/Users', userBody('types@example.com', { active: 'yes' })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.post('/Users', userBody('types@example.com', { emails: [{ value: 42 }] })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.post('/Users', userBody('types@example.com', { name: 'Bob' })),
        400,
        'invalidValue',
      );
      expectScimError(
        await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 42 }),
        400,
        'invalidValue',
      );
      expectScimError(await scim.post('/Users', [userBody('array@example.com')]), 400, 'invalidSyntax');
      const rows = await t.sql(
        `SELECT 1 FROM scim_users WHERE integration_id = $1 AND user_name = 'types@example.com'`,
        [integration.id],
      );
      expect(rows).toHaveLength(0);
    });
  });

  describe('read, list and .search', () => {
    it('lists with GET and .search alike', async () => {
      const a = await createUser(scim, 'search.a@example.com');
      const b = await createUser(scim, 'search.b@example.com');
      const filter = 'userName sw "search."';
      const viaGet = expectListResponse(await scim.get(filterQuery(filter)));
      const viaSearch = expectListResponse(
        await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter, startIndex: 1, count: 10 }),
      );
      expect(viaGet.Resources.map((r) => r.id)).toEqual([a.id, b.id]);
      expect(viaSearch).toEqual(viaGet);
      const projected = expectListResponse(
        await scim.post('/Users/.search', {
          schemas: [SEARCH_REQUEST],
          filter,
          attributes: ['userName'],
          sortBy: 'userName',
          sortOrder: 'descending',
        }),
      );
      expect(projected.Resources).toEqual([
        { schemas: [USER_SCHEMA], id: b.id, userName: b.userName },
        { schemas: [USER_SCHEMA], id: a.id, userName: a.userName },
      ]);
      expectScimError(
        await scim.post('/Users/.search', { schemas: ['urn:bad'], filter }),
        400,
        'invalidSyntax',
      );
    });

    it('answers 404 for an unknown or malformed id', async () => {
      expectScimError(await scim.get(`/Users/${NO_SUCH_ID}`), 404);
      expectScimError(await scim.get('/Users/not-a-uuid'), 404);
      expectScimError(await scim.put(`/Users/not-a-uuid`, userBody('x@example.com')), 404);
      expectScimError(
        await scim.patch(`/Users/${NO_SUCH_ID}`, patchBody({ op: 'replace', path: 'active', value: false })),
        404,
      );
      expectScimError(await scim.delete(`/Users/${NO_SUCH_ID}`), 404);
    });
  });

  describe('PUT', () => {
    it('replaces the resource: attributes left out are removed, active left out is kept', async () => {
      const user = await createUser(scim, 'put.me@example.com', {
        displayName: 'Put Me',
        title: 'Engineer',
        externalId: 'ext-put',
        active: false,
      });
      const put = expectUserResponse(
        await scim.put(`/Users/${user.id}`, userBody('Put.Me@example.com', { nickName: 'Putty' })),
        200,
      );
      expect(put.userName).toBe('Put.Me@example.com');
      expect(put.nickName).toBe('Putty');
      expect(put.title).toBeUndefined();
      expect(put.displayName).toBeUndefined();
      expect(put.externalId).toBeUndefined();
      expect(put.active).toBe(false);
      const row = await storedUser(t, user.id);
      expect(row).toMatchObject({
        user_name: 'Put.Me@example.com',
        display_name: null,
        external_id: null,
        active: false,
        version: 2,
      });
      expect(row!.password_hash).toBeNull();
    });

    it('keeps the stored password when a PUT has none, and refuses to take another user’s userName', async () => {
      const user = await createUser(scim, 'put.pw@example.com', { password: 'first-Pass1' });
      const before = (await storedUser(t, user.id))!.password_hash;
      expectUserResponse(await scim.put(`/Users/${user.id}`, userBody('put.pw@example.com')), 200);
      expect((await storedUser(t, user.id))!.password_hash).toBe(before);
      await createUser(scim, 'taken@example.com');
      expectScimError(await scim.put(`/Users/${user.id}`, userBody('TAKEN@example.com')), 409, 'uniqueness');
      expect((await storedUser(t, user.id))!.user_name).toBe('put.pw@example.com');
    });
  });

  describe('DELETE', () => {
    it('answers 204, then 404 everywhere; the membership goes with it', async () => {
      const user = await createUser(scim, 'delete.me@example.com');
      const res = await scim.delete(`/Users/${user.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectScimError(await scim.get(`/Users/${user.id}`), 404);
      expectScimError(await scim.delete(`/Users/${user.id}`), 404);
      expectScimError(await scim.put(`/Users/${user.id}`, userBody('delete.me@example.com')), 404);
      expectScimError(
        await scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'active', value: false })),
        404,
      );
      expect(
        expectListResponse(await scim.get(filterQuery('userName eq "delete.me@example.com"'))).totalResults,
      ).toBe(0);
      expect(await storedUser(t, user.id)).toBeUndefined();
      expect(await t.sql(`SELECT 1 FROM group_members WHERE user_id = $1`, [user.id])).toHaveLength(0);
      // The userName is free again.
      await createUser(scim, 'delete.me@example.com');
    });
  });

  describe('ETags', () => {
    it('answers If-None-Match with 304 and a changed ETag with 200', async () => {
      const user = await createUser(scim, 'etag.get@example.com');
      const first = await scim.get(`/Users/${user.id}`).expect(200);
      const etag = first.headers.etag;
      expect(etag).toBe('W/"1"');
      const notModified = await scim.get(`/Users/${user.id}`).set('If-None-Match', etag);
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      const other = await scim.get(`/Users/${user.id}`).set('If-None-Match', 'W/"7"');
      expectUserResponse(other, 200);
    });

    it.each([
      [
        'PUT',
        (c: ScimClient, id: string) =>
          c.put(`/Users/${id}`, userBody('etag.m@example.com', { title: 'Changed' })),
      ],
      [
        'PATCH',
        (c: ScimClient, id: string) =>
          c.patch(`/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'Changed' })),
      ],
      ['DELETE', (c: ScimClient, id: string) => c.delete(`/Users/${id}`)],
    ])(
      '%s with a mismatched If-Match is a 412 and changes nothing; a matching one succeeds',
      async (method, send) => {
        const user = await createUser(scim, 'etag.m@example.com', { title: 'Original' });
        for (const tag of ['W/"2"', '"0"', 'W/"abc"']) {
          const res = await send(scim, user.id).set('If-Match', tag);
          expectScimError(res, 412);
        }
        const row = await storedUser(t, user.id);
        expect(row).toMatchObject({ version: 1, resource: expect.objectContaining({ title: 'Original' }) });
        const ok = await send(scim, user.id).set('If-Match', 'W/"1"');
        if (method === 'DELETE') {
          expect(ok.status).toBe(204);
          expect(await storedUser(t, user.id)).toBeUndefined();
        } else {
          const body = expectUserResponse(ok, 200);
          expect(body.title).toBe('Changed');
          expect(body.meta.version).toBe('W/"2"');
          expect(ok.headers.etag).toBe('W/"2"');
          expect((await storedUser(t, user.id))!.version).toBe(2);
          // A strong form of the same tag and `*` match too.
          expectUserResponse(await send(scim, user.id).set('If-Match', '"2"'), 200);
          expectUserResponse(await send(scim, user.id).set('If-Match', '*'), 200);
          await scim.delete(`/Users/${user.id}`).expect(204);
        }
      },
    );
  });

  describe('attributes and excludedAttributes', () => {
    let user: Json;
    beforeAll(async () => {
      user = await createUser(scim, 'projection@example.com', {
        displayName: 'Pro Jection',
        name: { givenName: 'Pro', familyName: 'Jection' },
        emails: [{ value: 'p@example.com', type: 'work' }],
        [ENTERPRISE]: { department: 'R&D', costCenter: '7' },
      });
    });

    it('on GET', async () => {
      const res = await scim.get(
        `/Users/${user.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('W/"1"');
      expect(res.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: user.id,
        userName: 'projection@example.com',
        name: { givenName: 'Pro' },
        [ENTERPRISE]: { department: 'R&D' },
      });
      const excluded = await scim.get(`/Users/${user.id}?excludedAttributes=emails,meta,name,${ENTERPRISE}`);
      expect(excluded.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: user.id,
        userName: 'projection@example.com',
        displayName: 'Pro Jection',
        active: true,
      });
      // Names are case-insensitive; `id` is always returned.
      const cased = await scim.get(`/Users/${user.id}?ATTRIBUTES=USERNAME&excludedAttributes=id`);
      expect(cased.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: user.id,
        userName: 'projection@example.com',
      });
    });

    it('on lists', async () => {
      const list = expectListResponse(
        await scim.get(filterQuery(`id eq "${user.id}"`, '&attributes=displayName,meta.version')),
      );
      expect(list.Resources).toEqual([
        {
          schemas: [USER_SCHEMA, ENTERPRISE],
          id: user.id,
          displayName: 'Pro Jection',
          meta: { version: 'W/"1"' },
        },
      ]);
      const excl = expectListResponse(
        await scim.get(filterQuery(`id eq "${user.id}"`, '&excludedAttributes=name,emails,meta')),
      );
      expect(excl.Resources[0]).not.toHaveProperty('name');
      expect(excl.Resources[0]).not.toHaveProperty('meta');
      expect(excl.Resources[0].displayName).toBe('Pro Jection');
    });

    it('on POST, PUT and PATCH responses', async () => {
      const posted = await scim.post(
        '/Users?attributes=userName',
        userBody('proj.post@example.com', { title: 'T' }),
      );
      expect(posted.status).toBe(201);
      expect(posted.body).toEqual({
        schemas: [USER_SCHEMA],
        id: expect.any(String),
        userName: 'proj.post@example.com',
      });
      expect(posted.headers.location).toMatch(new RegExp(`/scim/v2/Users/${posted.body.id}$`));
      expect(posted.headers.etag).toBe('W/"1"');
      const id = posted.body.id;
      const put = await scim.put(
        `/Users/${id}?excludedAttributes=meta,title`,
        userBody('proj.post@example.com', { title: 'U', nickName: 'n' }),
      );
      expect(put.status).toBe(200);
      expect(put.body).toEqual({
        schemas: [USER_SCHEMA],
        id,
        userName: 'proj.post@example.com',
        nickName: 'n',
        active: true,
      });
      expect(put.headers.etag).toBe('W/"2"');
      const patched = await scim.patch(
        `/Users/${id}?attributes=title`,
        patchBody({ op: 'replace', path: 'title', value: 'V' }),
      );
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ schemas: [USER_SCHEMA], id, title: 'V' });
      expect(patched.headers.etag).toBe('W/"3"');
    });
  });

  describe('the settings API shows who was provisioned', () => {
    it('lists users by integration, group and active; group members; the integration’s userCount', async () => {
      const dir = await createScimDirectory(t, 'okta');
      const c = scimClient(t, dir.integration.token);
      const admin = (path: string) =>
        request(t.http).get(path).auth(dir.tenant.adminToken, { type: 'bearer' });
      const alice = await createUser(c, 'alice@example.com', { displayName: 'Alice', externalId: 'a1' });
      const bob = await createUser(c, 'bob@example.com');
      const carol = await createUser(c, 'carol@example.com');
      await c.patch(`/Users/${bob.id}`, OKTA_DEACTIVATE).expect(200);
      const other = await createScimDirectory(t, 'okta');
      await createUser(scimClient(t, other.integration.token), 'stranger@example.com');

      const all = await admin(`/api/v1/users?integrationId=${dir.integration.id}`).expect(200);
      expect(all.body.total).toBe(3);
      expect(all.body.items.map((u: Json) => u.userName)).toEqual([
        'alice@example.com',
        'bob@example.com',
        'carol@example.com',
      ]);
      expect(all.body.items[0]).toEqual({
        id: alice.id,
        integrationId: dir.integration.id,
        userName: 'alice@example.com',
        displayName: 'Alice',
        externalId: 'a1',
        active: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const inactive = await admin(
        `/api/v1/users?integrationId=${dir.integration.id}&groupId=${dir.integration.groupId}&active=false`,
      ).expect(200);
      expect(inactive.body.items.map((u: Json) => u.id)).toEqual([bob.id]);
      const active = await admin(`/api/v1/users?groupId=${dir.integration.groupId}&active=true`).expect(200);
      expect(active.body.items.map((u: Json) => u.id)).toEqual([alice.id, carol.id]);
      const paged = await admin(`/api/v1/users?integrationId=${dir.integration.id}&page=2&pageSize=2`).expect(
        200,
      );
      expect(paged.body).toMatchObject({ total: 3, page: 2, pageSize: 2 });
      expect(paged.body.items.map((u: Json) => u.id)).toEqual([carol.id]);

      const members = await admin(`/api/v1/groups/${dir.integration.groupId}/members`).expect(200);
      expect(members.body.total).toBe(3);
      const deactivatedMembers = await admin(
        `/api/v1/groups/${dir.integration.groupId}/members?active=false`,
      ).expect(200);
      expect(deactivatedMembers.body.items.map((u: Json) => u.id)).toEqual([bob.id]);
      const group = await admin(`/api/v1/groups/${dir.integration.groupId}`).expect(200);
      expect(group.body.memberCount).toBe(3);

      const details = await admin(`/api/v1/scim-integrations/${dir.integration.id}`).expect(200);
      expect(details.body.userCount).toBe(3);
      await c.delete(`/Users/${carol.id}`).expect(204);
      expect(
        (await admin(`/api/v1/scim-integrations/${dir.integration.id}`).expect(200)).body.userCount,
      ).toBe(2);
      // Another tenant's admin sees none of it.
      const foreign = await request(t.http)
        .get(`/api/v1/users?integrationId=${dir.integration.id}`)
        .auth(other.tenant.adminToken, { type: 'bearer' })
        .expect(200);
      expect(foreign.body.total).toBe(0);
      expect(adminToken).toBeDefined();
    });
  });

  describe('the activity log', () => {
    it('records one event per change and per failed request, without the token or the password', async () => {
      const dir = await createScimDirectory(t, 'okta');
      const c = scimClient(t, dir.integration.token);
      const created = await c.post('/Users', oktaCreateUser('log@example.com')).expect(201);
      const id = created.body.id;
      await c.get(`/Users/${id}`).expect(200); // reads are not changes
      await c.get(filterQuery('userName eq "log@example.com"')).expect(200);
      await c.put(`/Users/${id}`, oktaPutUser(created.body)).expect(200);
      await c.patch(`/Users/${id}`, OKTA_DEACTIVATE).expect(200);
      await c.post('/Users', oktaCreateUser('LOG@example.com')).expect(409);
      await c.get(filterQuery('userName zz "x"')).expect(400);
      await c
        .patch(`/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'x' }))
        .set('If-Match', 'W/"1"')
        .expect(412);
      await c.delete(`/Users/${id}`).expect(204);
      await c.get(`/Users/${id}`).expect(404);
      // Unauthenticated failures have no integration to log under.
      await request(t.http).get('/scim/v2/Users').expect(401);

      const events = await eventsOf(t, dir.integration.id);
      expect(events.map((e) => [e.method, e.path, e.status, e.scim_type])).toEqual([
        ['POST', '/Users', 201, null],
        ['PUT', `/Users/${id}`, 200, null],
        ['PATCH', `/Users/${id}`, 200, null],
        ['POST', '/Users', 409, 'uniqueness'],
        ['GET', '/Users', 400, 'invalidFilter'],
        ['PATCH', `/Users/${id}`, 412, null],
        ['DELETE', `/Users/${id}`, 204, null],
        ['GET', `/Users/${id}`, 404, null],
      ]);
      expect(events[0]).toMatchObject({
        resource_type: 'User',
        resource_id: id,
        resource_name: 'log@example.com',
      });
      expect(events[6]).toMatchObject({
        resource_type: 'User',
        resource_id: id,
        resource_name: 'log@example.com',
      });
      expect(events[3].detail).toEqual(expect.any(String));
      for (const e of events) expect(e.request_id).toEqual(expect.any(String));
      const all = JSON.stringify(
        await t.sql(`SELECT * FROM scim_events WHERE integration_id = $1`, [dir.integration.id]),
      );
      expect(all).not.toContain(dir.integration.token);
      expect(all).not.toContain('1mz050nq');
      expect(all).not.toContain('t1meMa$heen');
    });
  });
});
