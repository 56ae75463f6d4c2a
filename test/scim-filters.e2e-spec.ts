import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  createUser,
  ENTERPRISE,
  expectListResponse,
  expectScimError,
  filterQuery,
  type Json,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
  USER_SCHEMA,
} from './fixtures/scim';

const names = (list: { Resources: Json[] }) => list.Resources.map((r) => r.userName as string).sort();

describe('SCIM filters and lists over HTTP', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('filters', () => {
    let scim: ScimClient;
    const users: Record<string, Json> = {};
    let afterCreation: string;

    const find = async (filter: string): Promise<string[]> => {
      const list = expectListResponse(await scim.get(filterQuery(filter)));
      expect(list.totalResults).toBe(list.Resources.length);
      return names(list);
    };

    beforeAll(async () => {
      scim = scimClient(t, (await createScimDirectory(t, 'okta')).integration.token);
      users.alice = await createUser(scim, 'alice@example.com', {
        externalId: 'EXT-A',
        displayName: 'Alice Smith',
        title: 'Engineer',
        name: { givenName: 'Alice', familyName: 'Smith' },
        emails: [
          { value: 'alice@acme.com', type: 'work', primary: true },
          { value: 'alice@home.org', type: 'home' },
        ],
        [ENTERPRISE]: { department: 'Engineering', employeeNumber: '100' },
      });
      users.bob = await createUser(scim, 'Bob@Example.com', {
        externalId: 'ext-b',
        displayName: 'Bob Jones',
        title: 'Manager',
        active: false,
        emails: [{ value: 'bob@acme.com', type: 'work' }],
        [ENTERPRISE]: { department: 'Sales', manager: { value: users.alice.id } },
      });
      users.carol = await createUser(scim, 'carol@other.org', {
        externalId: 'EXT-C',
        displayName: 'Carol',
        userType: 'Contractor',
        emails: [{ value: 'carol@home.org', type: 'home' }],
      });
      users.dave = await createUser(scim, 'dave@example.com', { title: 'engineer' });
      afterCreation = users.dave.meta.lastModified;
      await new Promise((r) => setTimeout(r, 5));
      users.carol = (
        await scim
          .patch(`/Users/${users.carol.id}`, patchBody({ op: 'replace', path: 'nickName', value: 'CC' }))
          .expect(200)
      ).body;
    });

    it.each([
      // eq / ne, case-insensitive userName, caseExact externalId
      ['userName eq "ALICE@example.com"', ['alice@example.com']],
      ['userName eq "bob@example.com"', ['Bob@Example.com']],
      ['externalId eq "EXT-A"', ['alice@example.com']],
      ['externalId eq "ext-a"', []],
      ['externalId eq "ext-b"', ['Bob@Example.com']],
      ['userName ne "alice@example.com"', ['Bob@Example.com', 'carol@other.org', 'dave@example.com']],
      // co / sw / ew
      ['userName co "EXAMPLE"', ['Bob@Example.com', 'alice@example.com', 'dave@example.com']],
      ['userName sw "b"', ['Bob@Example.com']],
      ['userName ew "OTHER.ORG"', ['carol@other.org']],
      ['externalId sw "EXT"', ['alice@example.com', 'carol@other.org']],
      ['externalId co "xt-"', ['Bob@Example.com']],
      ['displayName co "o"', ['Bob@Example.com', 'carol@other.org']],
      // pr
      ['title pr', ['Bob@Example.com', 'alice@example.com', 'dave@example.com']],
      ['externalId pr', ['Bob@Example.com', 'alice@example.com', 'carol@other.org']],
      ['emails pr', ['Bob@Example.com', 'alice@example.com', 'carol@other.org']],
      [`${ENTERPRISE}:manager pr`, ['Bob@Example.com']],
      // gt / ge / lt / le on strings
      ['userName gt "c"', ['carol@other.org', 'dave@example.com']],
      ['userName ge "carol@other.org"', ['carol@other.org', 'dave@example.com']],
      ['userName lt "bob"', ['alice@example.com']],
      ['userName le "BOB@example.com"', ['Bob@Example.com', 'alice@example.com']],
      // booleans
      ['active eq false', ['Bob@Example.com']],
      ['active eq true', ['alice@example.com', 'carol@other.org', 'dave@example.com']],
      ['active ne true', ['Bob@Example.com']],
      ['active eq "False"', ['Bob@Example.com']],
      ['emails[primary eq true]', ['alice@example.com']],
      // caseExact false on JSONB strings
      ['title eq "ENGINEER"', ['alice@example.com', 'dave@example.com']],
      ['userType eq "contractor"', ['carol@other.org']],
      // and / or / not / parentheses / precedence
      ['title eq "Engineer" and active eq true', ['alice@example.com', 'dave@example.com']],
      [
        'title eq "Engineer" or title eq "Manager" and active eq true',
        ['alice@example.com', 'dave@example.com'],
      ],
      [
        '(title eq "Engineer" or title eq "Manager") and externalId pr',
        ['Bob@Example.com', 'alice@example.com'],
      ],
      ['not (title pr)', ['carol@other.org']],
      ['not (userName eq "alice@example.com") and active eq true', ['carol@other.org', 'dave@example.com']],
      ['not (externalId eq "EXT-A" or externalId eq "EXT-C")', ['Bob@Example.com', 'dave@example.com']],
      // value paths and sub-attributes
      ['emails[type eq "work" and value co "@acme.com"]', ['Bob@Example.com', 'alice@example.com']],
      ['emails[type eq "home"]', ['alice@example.com', 'carol@other.org']],
      ['emails[type eq "home" and value sw "carol"]', ['carol@other.org']],
      ['emails[not (type eq "work")]', ['alice@example.com', 'carol@other.org']],
      ['emails.value ew "home.org"', ['alice@example.com', 'carol@other.org']],
      ['emails.type eq "work" and emails.primary eq true', ['alice@example.com']],
      ['emails eq "bob@acme.com"', ['Bob@Example.com']],
      ['name.givenName eq "alice"', ['alice@example.com']],
      // a sub-attribute of a value path: the same email matches both
      ['emails[type eq "work"].value co "bob"', ['Bob@Example.com']],
      ['emails[type eq "work"].value eq "ALICE@acme.com"', ['alice@example.com']],
      ['emails[type eq "home"].value ew "acme.com"', []],
      ['emails[type eq "home"].value ew "home.org"', ['alice@example.com', 'carol@other.org']],
      ['emails[type eq "work"].value ne "bob@acme.com"', ['alice@example.com']],
      ['emails[type eq "work"].primary eq true', ['alice@example.com']],
      ['emails[primary eq true].type eq "home"', []],
      ['emails[type eq "work" or type eq "home"].value sw "c"', ['carol@other.org']],
      ['not (emails[type eq "work"].value pr)', ['carol@other.org', 'dave@example.com']],
      [
        'emails[type eq "work"].value ew "@acme.com" and active eq true or userName sw "d"',
        ['alice@example.com', 'dave@example.com'],
      ],
      ['Emails[Type eq "WORK"].VALUE gt "b"', ['Bob@Example.com']],
      ['name.familyName pr', ['alice@example.com']],
      // URN-qualified names, case-insensitive names and operators
      [`${USER_SCHEMA}:userName eq "dave@example.com"`, ['dave@example.com']],
      [`${USER_SCHEMA}:name.givenName sw "Al"`, ['alice@example.com']],
      [`${ENTERPRISE}:department eq "sales"`, ['Bob@Example.com']],
      [`${ENTERPRISE}:employeeNumber eq "100"`, ['alice@example.com']],
      ['USERNAME EQ "dave@example.com"', ['dave@example.com']],
      ['UserName Sw "DAVE" AND Active Eq TRUE', ['dave@example.com']],
      ['EMAILS[TYPE EQ "work" AND VALUE CO "BOB"]', ['Bob@Example.com']],
      // no match is an empty page
      ['userName eq "nobody@example.com"', []],
      ['emails[type eq "other"]', []],
    ])('%s', async (filter, expected) => {
      expect(await find(filter)).toEqual([...expected].sort());
    });

    it('filters by id, by the manager id, and by meta dates', async () => {
      expect(await find(`id eq "${users.carol.id}"`)).toEqual(['carol@other.org']);
      expect(await find(`id eq "${users.carol.id.toUpperCase()}"`)).toEqual(['carol@other.org']);
      expect(await find(`${ENTERPRISE}:manager.value eq "${users.alice.id}"`)).toEqual(['Bob@Example.com']);
      // meta.created / meta.lastModified with gt, ge, lt, le, eq — the values the server returned
      expect(await find(`meta.created eq "${users.bob.meta.created}"`)).toEqual(['Bob@Example.com']);
      expect(await find(`meta.created gt "${users.bob.meta.created}"`)).toEqual([
        'carol@other.org',
        'dave@example.com',
      ]);
      expect(await find(`meta.created lt "${users.bob.meta.created}"`)).toEqual(['alice@example.com']);
      expect(
        await find(
          `meta.created ge "${users.bob.meta.created}" and meta.created le "${users.carol.meta.created}"`,
        ),
      ).toEqual(['Bob@Example.com', 'carol@other.org']);
      expect(await find(`meta.lastModified gt "${afterCreation}"`)).toEqual(['carol@other.org']);
      expect(await find(`meta.lastModified lt "2000-01-01T00:00:00Z"`)).toEqual([]);
      expect(await find(`meta.lastModified gt "2000-01-01T00:00:00+02:00"`)).toHaveLength(4);
    });

    it('finds a deactivated user by userName, as Okta does before creating it again', async () => {
      const list = expectListResponse(await scim.get(filterQuery('userName eq "bob@example.com"')));
      expect(list.totalResults).toBe(1);
      expect(list.Resources[0]).toMatchObject({ id: users.bob.id, active: false });
    });

    it('takes filters through .search and ignores unknown query parameters', async () => {
      const search = expectListResponse(
        await scim.post('/Users/.search?aadOptscim062020', {
          schemas: [SEARCH_REQUEST],
          filter: 'title pr and active eq true',
        }),
      );
      expect(names(search)).toEqual(['alice@example.com', 'dave@example.com']);
      const get = expectListResponse(
        await scim.get(
          filterQuery('userName eq "carol@other.org"', '&aadOptscim062020&foo=bar&startIndex=1'),
        ),
      );
      expect(names(get)).toEqual(['carol@other.org']);
    });

    it.each([
      'userName zz "x"',
      'userName eq',
      'userName eq "unterminated',
      '(userName eq "x"',
      'userName eq "x" and',
      'noSuchAttribute eq "x"',
      'name.noSuchSub eq "x"',
      'urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge eq "x"',
      'active gt true',
      'meta.created gt "yesterday"',
      'meta.created co "2020"',
      'emails[type eq "work"',
      'userName eq x',
      'emails[type eq "work"].',
      'emails[type eq "work"].value',
      'emails.value[type eq "x"]',
      'emails[type eq "work"].givenName eq "x"',
      'emails[type eq "work"].value[type eq "x"] eq "y"',
      'emails[type eq "work"] .value eq "x"',
    ])('rejects %s with 400 invalidFilter', async (filter) => {
      expectScimError(await scim.get(filterQuery(filter)), 400, 'invalidFilter');
      expectScimError(
        await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], filter }),
        400,
        'invalidFilter',
      );
    });

    it('treats SQL in values as data', async () => {
      expect(await find(`userName eq "x' OR '1'='1"`)).toEqual([]);
      expect(await find('userName co "%"')).toEqual([]);
      expect(await find('userName co "_"')).toEqual([]);
      expect(await find(`displayName eq "\\"quoted\\""`)).toEqual([]);
    });
  });

  describe('as Entra ID sends them', () => {
    let scim: ScimClient;
    let ann: Json;

    beforeAll(async () => {
      scim = scimClient(t, (await createScimDirectory(t, 'entra')).integration.token);
      ann = await createUser(scim, 'ann.user@contoso.com', {
        emails: [
          { value: 'ann.home@example.org', type: 'home' },
          { value: 'ann@example.com', type: 'work', primary: true },
        ],
      });
      // Ann's work address as someone else's home address: matching it must not find them.
      await createUser(scim, 'other@contoso.com', {
        emails: [
          { value: 'ann@example.com', type: 'home' },
          { value: 'other@example.com', type: 'work' },
        ],
      });
    });

    it.each([
      // As Entra encodes the query: spaces as %20, brackets and quotes escaped
      'filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22ann%40example.com%22',
      // …spaces as +, brackets left as they are
      'filter=emails[type+eq+%22work%22].value+eq+%22ann@example.com%22',
    ])('GET /Users?%s answers the user whose work email it is', async (query) => {
      const res = await scim.get(`/Users?${query}`);
      expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      const list = expectListResponse(res);
      expect(list).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(list.Resources[0]).toMatchObject({ id: ann.id, userName: 'ann.user@contoso.com' });
    });

    it('answers a malformed form with 400 invalidFilter naming the problem', async () => {
      const res = await scim.get(`/Users?filter=${encodeURIComponent('emails[type eq "work"]. eq "x"')}`);
      expectScimError(res, 400, 'invalidFilter');
      expect(res.body.detail).toMatch(/Invalid sub-attribute '\.' after the value filter of 'emails'/);
      const unknown = await scim.get(
        `/Users?filter=${encodeURIComponent('emails[type eq "work"].postalCode eq "9"')}`,
      );
      expectScimError(unknown, 400, 'invalidFilter');
      expect(unknown.body.detail).toMatch(/Unknown attribute 'emails\.postalCode'/);
    });
  });

  describe('lists', () => {
    let scim: ScimClient;
    let ids: string[];

    beforeAll(async () => {
      scim = scimClient(t, (await createScimDirectory(t, 'okta')).integration.token);
      ids = [];
      for (const n of ['golf', 'alpha', 'foxtrot', 'bravo', 'echo', 'charlie', 'delta']) {
        ids.push((await createUser(scim, `${n}@example.com`, { name: { familyName: n.toUpperCase() } })).id);
      }
    });

    const page = async (query: string) => expectListResponse(await scim.get(`/Users?${query}`));

    it('pages 1-based with an exact total; startIndex below 1 means 1', async () => {
      const all = await page('');
      expect(all).toMatchObject({ totalResults: 7, startIndex: 1, itemsPerPage: 7 });
      expect(all.Resources.map((r) => r.id)).toEqual(ids);
      for (const start of ['0', '-3', '1']) {
        const p = await page(`startIndex=${start}&count=2`);
        expect(p).toMatchObject({ totalResults: 7, startIndex: 1, itemsPerPage: 2 });
        expect(p.Resources.map((r) => r.id)).toEqual(ids.slice(0, 2));
      }
      const seen: string[] = [];
      for (let start = 1; start <= 7; start += 3) {
        const p = await page(`startIndex=${start}&count=3`);
        expect(p.totalResults).toBe(7);
        expect(p.startIndex).toBe(start);
        seen.push(...p.Resources.map((r) => r.id));
      }
      expect(seen).toEqual(ids);
      const beyond = await page('startIndex=50&count=3');
      expect(beyond).toMatchObject({ totalResults: 7, startIndex: 50, itemsPerPage: 0 });
      const lastPartial = await page('startIndex=7&count=3');
      expect(lastPartial).toMatchObject({ totalResults: 7, itemsPerPage: 1 });
    });

    it('count=0 returns only totalResults', async () => {
      const p = await page('count=0');
      expect(p.totalResults).toBe(7);
      expect(p.itemsPerPage).toBe(0);
      expect(p.Resources).toEqual([]);
      const filtered = await page(`count=0&filter=${encodeURIComponent('userName sw "a"')}`);
      expect(filtered.totalResults).toBe(1);
      const negative = await page('count=-4');
      expect(negative).toMatchObject({ totalResults: 7, itemsPerPage: 0 });
    });

    it('keeps a stable order across requests and updates', async () => {
      const first = (await page('')).Resources.map((r) => r.id);
      await scim
        .patch(`/Users/${ids[0]}`, patchBody({ op: 'replace', path: 'title', value: 'moved?' }))
        .expect(200);
      const second = (await page('')).Resources.map((r) => r.id);
      expect(second).toEqual(first);
    });

    it('sorts by sortBy / sortOrder', async () => {
      const sorted = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'].map(
        (n) => `${n}@example.com`,
      );
      const asc = await page('sortBy=userName');
      expect(asc.Resources.map((r) => r.userName)).toEqual(sorted);
      const desc = await page('sortBy=USERNAME&sortOrder=descending');
      expect(desc.Resources.map((r) => r.userName)).toEqual([...sorted].reverse());
      const byFamily = await page('sortBy=name.familyName&sortOrder=descending&startIndex=2&count=2');
      expect(byFamily.Resources.map((r) => r.userName)).toEqual(['foxtrot@example.com', 'echo@example.com']);
      const byModified = await page('sortBy=meta.lastModified&sortOrder=descending&count=1');
      expect(byModified.Resources[0].id).toBe(ids[0]);
      expectScimError(await scim.get('/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
      expectScimError(await scim.get('/Users?sortBy=noSuchAttribute'), 400, 'invalidValue');
    });

    it('rejects a non-integer startIndex or count', async () => {
      expectScimError(await scim.get('/Users?startIndex=abc'), 400, 'invalidValue');
      expectScimError(await scim.get('/Users?count=1.5'), 400, 'invalidValue');
    });

    it('defaults count to 100', async () => {
      const dir = await createScimDirectory(t, 'okta');
      await t.sql(
        `INSERT INTO scim_users (tenant_id, integration_id, user_name, resource)
         SELECT $1, $2, 'bulk' || n || '@example.com',
                jsonb_build_object('schemas', jsonb_build_array($3::text), 'userName', 'bulk' || n || '@example.com', 'active', true)
           FROM generate_series(1, 105) n`,
        [dir.tenant.id, dir.integration.id, USER_SCHEMA],
      );
      const c = scimClient(t, dir.integration.token);
      const p = expectListResponse(await c.get('/Users'));
      expect(p).toMatchObject({ totalResults: 105, itemsPerPage: 100, startIndex: 1 });
      const rest = expectListResponse(await c.get('/Users?startIndex=101'));
      expect(rest).toMatchObject({ totalResults: 105, itemsPerPage: 5 });
    });
  });

  describe('with SCIM_MAX_RESULTS=5', () => {
    let small: TestApp;
    let scim: ScimClient;
    beforeAll(async () => {
      small = await createTestApp({ SCIM_MAX_RESULTS: '5' });
      scim = scimClient(small, (await createScimDirectory(small, 'okta')).integration.token);
      for (let i = 0; i < 7; i++) await createUser(scim, `capped${i}@example.com`);
    });
    afterAll(() => small.close());

    it('caps count at the advertised maximum, totalResults stays exact', async () => {
      const config = await scim.get('/ServiceProviderConfig').expect(200);
      expect(config.body.filter).toEqual({ supported: true, maxResults: 5 });
      expect(expectListResponse(await scim.get('/Users'))).toMatchObject({
        totalResults: 7,
        itemsPerPage: 5,
      });
      expect(expectListResponse(await scim.get('/Users?count=1000'))).toMatchObject({
        totalResults: 7,
        itemsPerPage: 5,
      });
      expect(expectListResponse(await scim.get('/Users?count=3'))).toMatchObject({
        totalResults: 7,
        itemsPerPage: 3,
      });
      expect(expectListResponse(await scim.get('/Users?startIndex=6&count=1000'))).toMatchObject({
        totalResults: 7,
        itemsPerPage: 2,
      });
      const search = expectListResponse(
        await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], count: 50 }),
      );
      expect(search).toMatchObject({ totalResults: 7, itemsPerPage: 5 });
    });
  });
});
