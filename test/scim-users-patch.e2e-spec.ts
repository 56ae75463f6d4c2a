import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  ENTRA_ADD_WORK_EMAIL,
  ENTRA_DISABLE,
  ENTRA_ENABLE,
  ENTRA_PATHLESS_REPLACE,
  ENTRA_REMOVE_MANAGER,
  ENTRA_UPDATE,
  entraCreateUser,
  entraSetManager,
} from './fixtures/entra';
import { OKTA_DEACTIVATE, OKTA_PASSWORD_CHANGE, OKTA_REACTIVATE, oktaCreateUser } from './fixtures/okta';
import {
  createUser,
  ENTERPRISE,
  expectScimError,
  expectUserResponse,
  type Json,
  patchBody,
  scimClient,
  type ScimClient,
  storedUser,
  USER_SCHEMA,
} from './fixtures/scim';

const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';

describe('SCIM PATCH /Users/:id', () => {
  let t: TestApp;
  let okta: ScimClient;
  let entra: ScimClient;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}.${++seq}@example.com`;

  beforeAll(async () => {
    t = await createTestApp();
    okta = scimClient(t, (await createScimDirectory(t, 'okta')).integration.token);
    entra = scimClient(t, (await createScimDirectory(t, 'entra')).integration.token);
  });
  afterAll(() => t.close());

  async function patch(client: ScimClient, id: string, body: unknown): Promise<Json> {
    return expectUserResponse(await client.patch(`/Users/${id}`, body), 200);
  }

  describe('Okta', () => {
    it('deactivates and reactivates with a path-less replace; the row and the version follow', async () => {
      const user = expectUserResponse(await okta.post('/Users', oktaCreateUser(unique('okta'))), 201);
      const off = await patch(okta, user.id, OKTA_DEACTIVATE);
      expect(off).toEqual({
        ...user,
        active: false,
        meta: { ...user.meta, version: 'W/"2"', lastModified: off.meta.lastModified },
      });
      expect(await storedUser(t, user.id)).toMatchObject({
        active: false,
        version: 2,
        resource: expect.objectContaining({ active: false }),
      });
      const on = await patch(okta, user.id, OKTA_REACTIVATE);
      expect(on.active).toBe(true);
      expect((await storedUser(t, user.id))!.active).toBe(true);
    });

    it('changes the password: stored hashed, never returned', async () => {
      const user = expectUserResponse(await okta.post('/Users', oktaCreateUser(unique('okta.pw'))), 201);
      const before = (await storedUser(t, user.id))!.password_hash;
      const res = await patch(okta, user.id, OKTA_PASSWORD_CHANGE);
      expect(JSON.stringify(res)).not.toContain('n3wPa55word!');
      const row = await storedUser(t, user.id);
      expect(row!.password_hash).toMatch(/^scrypt\$/);
      expect(row!.password_hash).not.toBe(before);
      expect(JSON.stringify(row)).not.toContain('n3wPa55word!');
    });

    it('accepts the echoed id in a path-less replace', async () => {
      const user = await createUser(okta, unique('okta.echo'));
      const res = await patch(
        okta,
        user.id,
        patchBody({ op: 'replace', value: { id: user.id, displayName: 'Echo' } }),
      );
      expect(res.displayName).toBe('Echo');
    });
  });

  describe('Entra', () => {
    it('applies its attribute update: capitalised ops, value paths, sub-attributes; creates missing elements', async () => {
      const user = expectUserResponse(await entra.post('/Users', entraCreateUser(unique('entra'))), 201);
      const res = await patch(entra, user.id, ENTRA_UPDATE);
      expect(res.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
      expect(res.name).toEqual({
        formatted: 'givenName familyName',
        familyName: 'updatedFamilyName',
        givenName: 'givenName',
      });
      expect(res.addresses).toEqual([{ type: 'work', formatted: '1 Microsoft Way, Redmond' }]);
      expect(res.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
      const row = await storedUser(t, user.id);
      expect(row!.resource.emails).toEqual(res.emails);
      expect(row!.resource.addresses).toEqual(res.addresses);
    });

    it('disables and enables with the strings "False" and "True"', async () => {
      const user = await createUser(entra, unique('entra.bool'));
      expect((await patch(entra, user.id, ENTRA_DISABLE)).active).toBe(false);
      expect((await storedUser(t, user.id))!.active).toBe(false);
      expect((await patch(entra, user.id, ENTRA_ENABLE)).active).toBe(true);
      expect((await storedUser(t, user.id))!.active).toBe(true);
    });

    it('takes a path-less replace keyed by dotted and URN paths', async () => {
      const user = expectUserResponse(
        await entra.post('/Users', entraCreateUser(unique('entra.dotted'))),
        201,
      );
      const res = await patch(entra, user.id, ENTRA_PATHLESS_REPLACE);
      expect(res.displayName).toBe('Entra Renamed');
      expect(res.name).toEqual({
        formatted: 'givenName familyName',
        givenName: 'Ada',
        familyName: 'Lovelace',
      });
      expect(res[ENTERPRISE]).toMatchObject({
        department: 'Analytical Engines',
        employeeNumber: '1815',
        costCenter: '4130',
      });
      expect(res.active).toBe(true);
      expect(Object.keys(res)).not.toContain('name.givenName');
      expect(Object.keys(res[ENTERPRISE])).not.toContain(`${ENTERPRISE}:department`);
      expect(await storedUser(t, user.id)).toMatchObject({ display_name: 'Entra Renamed' });
    });

    it('sets the manager from a plain id string, replaces it and removes it', async () => {
      const boss = await createUser(entra, unique('boss'));
      const boss2 = await createUser(entra, unique('boss2'));
      const user = await createUser(entra, unique('report'));
      const set = await patch(entra, user.id, entraSetManager(boss.id));
      expect(set[ENTERPRISE]).toEqual({ manager: { value: boss.id } });
      expect(set.schemas).toEqual([USER_SCHEMA, ENTERPRISE]);
      const replaced = await patch(entra, user.id, {
        ...entraSetManager(boss2.id),
        Operations: [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: { value: boss2.id } }],
      });
      expect(replaced[ENTERPRISE]).toEqual({ manager: { value: boss2.id } });
      const removed = await patch(entra, user.id, ENTRA_REMOVE_MANAGER);
      expect(removed[ENTERPRISE]?.manager).toBeUndefined();
      expect((await storedUser(t, user.id))!.resource[ENTERPRISE]?.manager).toBeUndefined();
    });

    it('adds a work email to a user who has none (emails[type eq "work"].value)', async () => {
      const user = await createUser(entra, unique('nowork'), {
        emails: [{ type: 'home', value: 'home@example.com' }],
      });
      const res = await patch(entra, user.id, ENTRA_ADD_WORK_EMAIL);
      expect(res.emails).toEqual([
        { type: 'home', value: 'home@example.com' },
        { type: 'work', value: 'new.work@contoso.com' },
      ]);
      // The same request again changes the existing element instead of adding another.
      const again = await patch(entra, user.id, {
        ...ENTRA_ADD_WORK_EMAIL,
        Operations: [{ ...ENTRA_ADD_WORK_EMAIL.Operations[0], value: 'second@contoso.com' }],
      });
      expect(again.emails).toHaveLength(2);
      expect(again.emails[1]).toEqual({ type: 'work', value: 'second@contoso.com' });
    });
  });

  describe('RFC 7644 §3.5.2 shapes', () => {
    it('add, replace and remove, with and without a path', async () => {
      const user = await createUser(okta, unique('shapes'), { title: 'Old', nickName: 'Nick' });
      const res = await patch(
        okta,
        user.id,
        patchBody(
          { op: 'add', path: 'displayName', value: 'Added' },
          {
            op: 'add',
            value: { userType: 'Contractor', emails: [{ value: 'one@example.com', type: 'work' }] },
          },
          { op: 'replace', path: 'title', value: 'New' },
          { op: 'replace', value: { preferredLanguage: 'fr' } },
          { op: 'remove', path: 'nickName' },
          { op: 'add', path: 'emails', value: [{ value: 'two@example.com', type: 'home' }] },
        ),
      );
      expect(res).toMatchObject({
        displayName: 'Added',
        userType: 'Contractor',
        title: 'New',
        preferredLanguage: 'fr',
      });
      expect(res.nickName).toBeUndefined();
      expect(res.emails).toEqual([
        { value: 'one@example.com', type: 'work' },
        { value: 'two@example.com', type: 'home' },
      ]);
      const row = await storedUser(t, user.id);
      expect(row).toMatchObject({ display_name: 'Added', version: 2 });
      expect(row!.resource.nickName).toBeUndefined();
      // replace of a multi-valued attribute without a filter replaces the whole array
      const replaced = await patch(
        okta,
        user.id,
        patchBody({ op: 'replace', path: 'emails', value: [{ value: 'only@example.com' }] }),
      );
      expect(replaced.emails).toEqual([{ value: 'only@example.com' }]);
    });

    it('value paths and sub-attributes: replace and remove by filter', async () => {
      const user = await createUser(okta, unique('valuepath'), {
        emails: [
          { value: 'w@example.com', type: 'work', primary: true },
          { value: 'h@example.com', type: 'home' },
        ],
        addresses: [{ type: 'work', formatted: 'Old street' }],
        name: { givenName: 'G', familyName: 'F' },
      });
      const res = await patch(
        okta,
        user.id,
        patchBody(
          { op: 'replace', path: 'addresses[type eq "work"].formatted', value: 'New street' },
          { op: 'replace', path: 'name.givenName', value: 'Grace' },
          { op: 'remove', path: 'emails[type eq "home" and value co "@example.com"]' },
          { op: 'remove', path: 'name.familyName' },
          { op: 'remove', path: 'phoneNumbers[type eq "fax"]' }, // matches nothing: a no-op
        ),
      );
      expect(res.addresses).toEqual([{ type: 'work', formatted: 'New street' }]);
      expect(res.name).toEqual({ givenName: 'Grace' });
      expect(res.emails).toEqual([{ value: 'w@example.com', type: 'work', primary: true }]);
    });

    it('URN-qualified paths of the enterprise extension and of an unknown extension', async () => {
      const user = await createUser(okta, unique('urn'));
      const res = await patch(
        okta,
        user.id,
        patchBody(
          { op: 'add', path: `${ENTERPRISE}:department`, value: 'Sales' },
          { op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: '42' },
          { op: 'replace', path: `${USER_SCHEMA}:title`, value: 'Qualified' },
          { op: 'add', path: `${ACME}:badge`, value: 'B-7' },
        ),
      );
      expect(res[ENTERPRISE]).toEqual({ department: 'Sales', employeeNumber: '42' });
      expect(res.title).toBe('Qualified');
      expect(res[ACME]).toEqual({ badge: 'B-7' });
      expect(res.schemas).toEqual(expect.arrayContaining([USER_SCHEMA, ENTERPRISE, ACME]));
      const removed = await patch(
        okta,
        user.id,
        patchBody({ op: 'remove', path: `${ENTERPRISE}:department` }),
      );
      expect(removed[ENTERPRISE]).toEqual({ employeeNumber: '42' });
      expect((await storedUser(t, user.id))!.resource[ENTERPRISE]).toEqual({ employeeNumber: '42' });
    });

    it('keeps primary: true unique within a multi-valued attribute', async () => {
      const user = await createUser(okta, unique('primary'), {
        emails: [
          { value: 'a@example.com', type: 'work', primary: true },
          { value: 'b@example.com', type: 'home' },
        ],
      });
      const res = await patch(
        okta,
        user.id,
        patchBody({ op: 'replace', path: 'emails[value eq "b@example.com"].primary', value: true }),
      );
      expect(res.emails.filter((e: Json) => e.primary === true)).toEqual([
        { value: 'b@example.com', type: 'home', primary: true },
      ]);
      const added = await patch(
        okta,
        user.id,
        patchBody({ op: 'add', path: 'emails', value: [{ value: 'c@example.com', primary: true }] }),
      );
      expect(added.emails.filter((e: Json) => e.primary === true).map((e: Json) => e.value)).toEqual([
        'c@example.com',
      ]);
    });

    it('answers 200 with the resource and does not bump the version when nothing changes', async () => {
      const user = await createUser(okta, unique('noop'), { title: 'Same' });
      const res = await patch(okta, user.id, patchBody({ op: 'replace', path: 'title', value: 'Same' }));
      expect(res.meta.version).toBe('W/"1"');
      expect((await storedUser(t, user.id))!.version).toBe(1);
    });

    it('changes userName, and refuses one that another user has (409)', async () => {
      const user = await createUser(okta, unique('rename'));
      const other = await createUser(okta, unique('rename.other'));
      const res = await patch(
        okta,
        user.id,
        patchBody({ op: 'replace', path: 'userName', value: 'Renamed.User@example.com' }),
      );
      expect(res.userName).toBe('Renamed.User@example.com');
      expect((await storedUser(t, user.id))!.user_name).toBe('Renamed.User@example.com');
      expectScimError(
        await okta.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'replace', path: 'userName', value: other.userName.toUpperCase() }),
        ),
        409,
        'uniqueness',
      );
    });
  });

  describe('errors change nothing', () => {
    let user: Json;
    let before: Json;
    beforeAll(async () => {
      user = await createUser(okta, unique('atomic'), {
        title: 'Keep',
        emails: [{ value: 'k@example.com', type: 'work' }],
      });
      before = (await storedUser(t, user.id))!;
    });
    afterEach(async () => {
      expect(await storedUser(t, user.id)).toEqual(before);
    });

    it('a 2-operation PATCH whose second operation fails leaves the row unchanged', async () => {
      const res = await okta.patch(
        `/Users/${user.id}`,
        patchBody(
          { op: 'replace', path: 'title', value: 'Changed' },
          { op: 'replace', path: 'active', value: 'maybe' },
        ),
      );
      expectScimError(res, 400, 'invalidValue');
      const res2 = await okta.patch(
        `/Users/${user.id}`,
        patchBody({ op: 'replace', path: 'title', value: 'Changed' }, { op: 'remove', path: 'userName' }),
      );
      expectScimError(res2, 400, 'mutability');
    });

    it('removing userName is a 400', async () => {
      expectScimError(
        await okta.patch(`/Users/${user.id}`, patchBody({ op: 'remove', path: 'userName' })),
        400,
        'mutability',
      );
      expectScimError(
        await okta.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'userName', value: null })),
        400,
        'mutability',
      );
    });

    it('a readOnly path (id, meta, groups) is a 400 mutability', async () => {
      for (const path of ['id', 'meta.created', 'groups']) {
        expectScimError(
          await okta.patch(
            `/Users/${user.id}`,
            patchBody({ op: 'replace', path, value: path === 'groups' ? [] : 'x' }),
          ),
          400,
          'mutability',
        );
      }
      expectScimError(
        await okta.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'replace', value: { id: '00000000-0000-4000-8000-000000000001' } }),
        ),
        400,
        'mutability',
      );
    });

    it('malformed PATCH bodies are 400s', async () => {
      const cases: [unknown, string][] = [
        [{ Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, 'invalidSyntax'],
        [patchBody(), 'invalidSyntax'],
        [patchBody({ op: 'move', path: 'title', value: 'x' }), 'invalidSyntax'],
        [patchBody({ op: 'remove' }), 'noTarget'],
        [patchBody({ op: 'replace', path: 'emails[type eq', value: 'x' }), 'invalidPath'],
        [patchBody({ op: 'replace', path: 'noSuchAttribute', value: 'x' }), 'invalidPath'],
        [
          patchBody({
            op: 'replace',
            path: 'emails[type eq "fax" or type eq "other"].value',
            value: 'x@y.z',
          }),
          'noTarget',
        ],
        [patchBody({ op: 'replace', path: 'name', value: 'not an object' }), 'invalidValue'],
      ];
      for (const [body, scimType] of cases) {
        expectScimError(await okta.patch(`/Users/${user.id}`, body), 400, scimType);
      }
    });
  });
});
