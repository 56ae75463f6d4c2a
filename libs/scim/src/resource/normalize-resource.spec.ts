import { ScimException } from '../scim.exception';
import { MAX_ATTRIBUTES_PER_OBJECT, MAX_VALUES_PER_ATTRIBUTE } from '../scim-limits';
import { GROUP_RESOURCE, SCIM_SCHEMAS, USER_RESOURCE } from '../schema';
import { normalizeResource } from './normalize-resource';
import {
  appendDistinct,
  canonicalKey,
  checkResourceSize,
  coerceBoolean,
  deepEqual,
  enforceSinglePrimary,
} from './scim-value';

const USER = SCIM_SCHEMAS.user;
const ENTERPRISE = SCIM_SCHEMAS.enterpriseUser;
const GROUP = SCIM_SCHEMAS.group;

function scimError(fn: () => unknown): ScimException {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimException) return error;
    throw error;
  }
  throw new Error('expected a ScimException');
}

describe('coerceBoolean', () => {
  it.each([
    [true, true],
    [false, false],
    ['True', true],
    ['FALSE', false],
    [' true ', true],
    ['yes', undefined],
    [1, undefined],
    [null, undefined],
  ])('%j → %j', (input, expected) => {
    expect(coerceBoolean(input)).toBe(expected);
  });
});

describe('enforceSinglePrimary', () => {
  it('keeps the preferred primary', () => {
    const values = [{ primary: true }, { primary: true }, { primary: true }];
    enforceSinglePrimary(values, 2);
    expect(values).toEqual([{ primary: false }, { primary: false }, { primary: true }]);
  });

  it('replaces the demoted values instead of editing them', () => {
    const first = { value: 'a', primary: true };
    const values = [first, { value: 'b', primary: true }];
    enforceSinglePrimary(values, 1);
    expect(first.primary).toBe(true);
    expect(values[0]).toEqual({ value: 'a', primary: false });
  });
});

describe('canonicalKey', () => {
  it.each<[string, unknown, unknown]>([
    ['objects whatever their key order', { value: 'a', type: 'work' }, { type: 'work', value: 'a' }],
    ['nested objects', { a: { x: 1, y: [1, { p: 1, q: 2 }] } }, { a: { y: [1, { q: 2, p: 1 }], x: 1 } }],
    ['numbers however written', 1.0, 1],
  ])('is the same for equal values: %s', (_name, a, b) => {
    expect(deepEqual(a, b)).toBe(true);
    expect(canonicalKey(a)).toBe(canonicalKey(b));
  });

  it.each<[string, unknown, unknown]>([
    ['strings of different case', 'A@x.com', 'a@x.com'],
    ['arrays in another order', [1, 2], [2, 1]],
    ['an object and its JSON text', { a: 1 }, '{"a":1}'],
    ['keys that only JSON escaping tells apart', { 'a":1,"b': 2 }, { a: 1, b: 2 }],
    ['a missing and a null sub-attribute', { value: 'a' }, { value: 'a', type: null }],
    ['true and "true"', true, 'true'],
  ])('differs for different values: %s', (_name, a, b) => {
    expect(deepEqual(a, b)).toBe(false);
    expect(canonicalKey(a)).not.toBe(canonicalKey(b));
  });
});

describe('appendDistinct', () => {
  it('appends what is new and returns the position of every value', () => {
    const target: unknown[] = [{ value: 'a', type: 'work' }, 'x'];
    const positions = appendDistinct(target, [{ type: 'work', value: 'a' }, 'y', 'x', 'y']);
    expect(target).toEqual([{ value: 'a', type: 'work' }, 'x', 'y']);
    expect(positions).toEqual([0, 2, 1, 2]);
  });
});

describe('checkResourceSize', () => {
  it('refuses a resource whose JSON is larger than the limit, in bytes', () => {
    const resource = { schemas: [USER], userName: 'é'.repeat(100) };
    const bytes = Buffer.byteLength(JSON.stringify(resource));
    expect(() => checkResourceSize('User', resource, bytes)).not.toThrow();
    const error = scimError(() => checkResourceSize('User', resource, bytes - 1));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toBe(
      `The User would take ${bytes} bytes; the limit is ${bytes - 1} bytes, the request body limit.`,
    );
  });
});

describe('normalizeResource', () => {
  it('accepts the user Okta creates (documented POST /Users)', () => {
    const body = {
      schemas: [USER],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    };
    const { resource, password, schemas } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(password).toBe('1mz050nq');
    expect(schemas).toEqual([USER]);
    expect(resource).toEqual({
      schemas: [USER],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
    expect(Object.keys(resource)[0]).toBe('schemas');
  });

  it('accepts the user Entra creates (documented POST /Users), dropping meta and empty roles', () => {
    const body = {
      schemas: [USER, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource['meta']).toBeUndefined();
    expect(resource['roles']).toBeUndefined();
    expect(resource['schemas']).toEqual([USER, ENTERPRISE]);
    expect(resource['active']).toBe(true);
  });

  it('drops what Okta PUT echoes (id, meta, groups)', () => {
    const body = {
      schemas: [USER],
      id: '23a35c27-23d3-4c03-b4c5-6443c09e7173',
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      active: true,
      groups: [{ value: 'g1', display: 'G' }],
      meta: { resourceType: 'User' },
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'replace');
    expect(resource).toEqual({
      schemas: [USER],
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
      active: true,
    });
  });

  it('canonicalises attribute names, sub-attribute names and extension URNs', () => {
    const body = {
      SCHEMAS: ['URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER'],
      USERNAME: 'bjensen',
      Name: { GivenName: 'Barbara', FAMILYNAME: 'Jensen' },
      Emails: [{ VALUE: 'b@x.com', Type: 'work', PRIMARY: 'True' }],
      'urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user': { Department: 'Tour', MANAGER: 'm-1' },
    };
    const { resource, schemas } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(schemas).toEqual([USER, ENTERPRISE]);
    expect(resource).toEqual({
      schemas: [USER, ENTERPRISE],
      userName: 'bjensen',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'b@x.com', type: 'work', primary: true }],
      [ENTERPRISE]: { department: 'Tour', manager: { value: 'm-1' } },
    });
  });

  it('turns Entra booleans and manager forms into their canonical values', () => {
    const body = {
      schemas: [USER, ENTERPRISE],
      userName: 'u',
      active: 'False',
      [ENTERPRISE]: { manager: [{ $ref: null, value: 'm-2', displayName: 'Boss' }] },
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource['active']).toBe(false);
    expect(resource[ENTERPRISE]).toEqual({ manager: { value: 'm-2' } });
  });

  it('accepts schema-qualified attribute keys', () => {
    const body = {
      schemas: [USER],
      [`${USER}:userName`]: 'u',
      [`${ENTERPRISE}:employeeNumber`]: '42',
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource).toEqual({
      schemas: [USER, ENTERPRISE],
      userName: 'u',
      [ENTERPRISE]: { employeeNumber: '42' },
    });
  });

  it('keeps unknown extensions whole and unknown schema URNs listed', () => {
    const custom = 'urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User';
    const body = {
      schemas: [USER, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User'],
      userName: 'u',
      [custom]: { favouriteColour: 'blue', nested: { a: [1, 2] } },
    };
    const { resource, schemas } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource[custom]).toEqual({ favouriteColour: 'blue', nested: { a: [1, 2] } });
    expect(schemas).toEqual([
      USER,
      'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User',
      custom,
    ]);
  });

  it('keeps unknown core attributes verbatim (documented leniency)', () => {
    const { resource } = normalizeResource(
      { schemas: [USER], userName: 'u', costCentreCode: { x: 1 } },
      USER_RESOURCE,
      'create',
    );
    expect(resource['costCentreCode']).toEqual({ x: 1 });
  });

  it('drops nulls, wraps a single object for a multi-valued attribute, dedupes and fixes primary', () => {
    const body = {
      schemas: [USER],
      userName: 'u',
      nickName: null,
      name: { givenName: null },
      phoneNumbers: { value: '+1 555', type: 'work' },
      emails: [
        { value: 'a@x.com', primary: true },
        { value: 'b@x.com', primary: true },
        { value: 'a@x.com', primary: true },
        null,
      ],
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource).toEqual({
      schemas: [USER],
      userName: 'u',
      phoneNumbers: [{ value: '+1 555', type: 'work' }],
      emails: [
        { value: 'a@x.com', primary: true },
        { value: 'b@x.com', primary: false },
      ],
    });
  });

  it('normalises an Okta group (members keep value and display)', () => {
    const body = {
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      displayName: 'Test SCIMv2',
      externalId: 'ext',
      members: [{ value: 'u1', display: 'User One', $ref: null }],
      meta: { resourceType: 'Group' },
    };
    const { resource } = normalizeResource(body, GROUP_RESOURCE, 'create');
    expect(resource).toEqual({
      schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      displayName: 'Test SCIMv2',
      externalId: 'ext',
      members: [{ value: 'u1', display: 'User One' }],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['missing schemas', { userName: 'u' }, /schemas/],
    ['schemas without the core URN', { schemas: [GROUP], userName: 'u' }, /must include/],
    ['schemas not strings', { schemas: [1], userName: 'u' }, /schemas/],
    ['missing userName', { schemas: [USER] }, /userName/],
    ['blank userName', { schemas: [USER], userName: '  ' }, /userName/],
    ['null userName', { schemas: [USER], userName: null }, /userName/],
    ['userName not a string', { schemas: [USER], userName: 42 }, /'userName'.*string/],
    ['active not a boolean', { schemas: [USER], userName: 'u', active: 'yes' }, /'active'.*boolean/],
    ['name not an object', { schemas: [USER], userName: 'u', name: 'Bob' }, /'name'/],
    [
      'sub-attribute of the wrong type',
      { schemas: [USER], userName: 'u', name: { givenName: 1 } },
      /name\.givenName/,
    ],
    [
      'element of the wrong type',
      { schemas: [USER], userName: 'u', emails: [{ value: 'a', primary: 'maybe' }] },
      /emails\.primary/,
    ],
    ['array for a single-valued attribute', { schemas: [USER], userName: ['a', 'b'] }, /single-valued/],
    [
      'duplicate attribute in two casings',
      { schemas: [USER], userName: 'a', USERNAME: 'b' },
      /more than once/,
    ],
    [
      'extension not an object',
      { schemas: [USER, ENTERPRISE], userName: 'u', [ENTERPRISE]: 'x' },
      /must be an object/,
    ],
    ['password not a string', { schemas: [USER], userName: 'u', password: 1 }, /password/],
    ['group without displayName', { schemas: [GROUP] }, /displayName/],
  ])('rejects %s with 400 invalidValue', (_name, body, detail) => {
    const resourceType =
      (body as { schemas?: unknown[] }).schemas?.includes(GROUP) && !('userName' in (body as object))
        ? GROUP_RESOURCE
        : USER_RESOURCE;
    const error = scimError(() => normalizeResource(body, resourceType, 'create'));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toMatch(detail);
  });

  it('rejects the enterprise User extension on a Group', () => {
    const error = scimError(() =>
      normalizeResource(
        { schemas: [GROUP], displayName: 'g', [ENTERPRISE]: { department: 'x' } },
        GROUP_RESOURCE,
        'create',
      ),
    );
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toMatch(/does not apply/);
  });

  it('rejects a member id that is not a string', () => {
    const error = scimError(() =>
      normalizeResource(
        { schemas: [GROUP], displayName: 'g', members: [{ value: 7 }] },
        GROUP_RESOURCE,
        'create',
      ),
    );
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toMatch(/members\.value/);
  });

  it('rejects a body that is not an object with 400 invalidSyntax', () => {
    const error = scimError(() => normalizeResource([1], USER_RESOURCE, 'create'));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidSyntax');
  });

  it('checks dateTime, integer and decimal values', () => {
    const integer = {
      name: 'n',
      type: 'integer',
      multiValued: false,
      description: '',
      required: false,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'none',
    } as const;
    const definition = {
      ...USER_RESOURCE,
      coreSchema: {
        ...USER_RESOURCE.coreSchema,
        attributes: [
          ...USER_RESOURCE.coreSchema.attributes,
          integer,
          { ...integer, name: 'd', type: 'decimal' as const },
          { ...integer, name: 't', type: 'dateTime' as const },
        ],
      },
    };
    const { resource } = normalizeResource(
      { schemas: [USER], userName: 'u', n: '12', d: 1.5, t: '2008-01-23T04:56:22Z' },
      definition,
      'create',
    );
    expect(resource).toMatchObject({ n: 12, d: 1.5, t: '2008-01-23T04:56:22Z' });
    expect(
      scimError(() => normalizeResource({ schemas: [USER], userName: 'u', n: 1.5 }, definition, 'create'))
        .detail,
    ).toMatch(/'n'/);
    expect(
      scimError(() =>
        normalizeResource({ schemas: [USER], userName: 'u', t: 'yesterday' }, definition, 'create'),
      ).detail,
    ).toMatch(/'t'/);
  });

  it('removes duplicates by structure: attribute names in any case, sub-attributes in any order', () => {
    const body = {
      schemas: [USER],
      userName: 'u',
      emails: [
        { value: 'a@x.com', type: 'work' },
        { TYPE: 'work', Value: 'a@x.com' },
        { value: 'A@x.com', type: 'work' },
        { type: 'work', value: 'a@x.com', primary: 'False' },
        { type: 'work', value: 'a@x.com', primary: false },
      ],
      roles: ['admin', { value: 'admin' }, { Value: 'admin', display: null }],
    };
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource['emails']).toEqual([
      { value: 'a@x.com', type: 'work' },
      { value: 'A@x.com', type: 'work' },
      { type: 'work', value: 'a@x.com', primary: false },
    ]);
    expect(resource['roles']).toEqual([{ value: 'admin' }]);
  });

  it('normalises a body near 1 MiB of emails, duplicates removed in one pass', () => {
    const distinct = Array.from({ length: MAX_VALUES_PER_ATTRIBUTE / 2 }, (_, i) => ({
      value: `user${i}@${'x'.repeat(900)}.com`,
      type: i % 2 ? 'work' : 'home',
    }));
    const shuffled = distinct.map(({ value, type }) => ({ type, value }));
    const body = { schemas: [USER], userName: 'u', emails: [...distinct, ...shuffled.reverse()] };
    expect(JSON.stringify(body).length).toBeGreaterThan(900 * 1024);
    const { resource } = normalizeResource(body, USER_RESOURCE, 'create');
    expect(resource['emails']).toEqual(distinct);
  });

  it.each<[string, (n: number) => Record<string, unknown>]>([
    ['emails', (n) => ({ emails: Array.from({ length: n }, (_, i) => ({ value: `u${i}@x.com` })) })],
    ['entitlements', (n) => ({ entitlements: Array.from({ length: n }, (_, i) => `e${i}`) })],
    ['x509Certificates', (n) => ({ x509Certificates: Array.from({ length: n }, () => ({ value: 'c' })) })],
  ])('takes at most MAX_VALUES_PER_ATTRIBUTE values of %s', (name, values) => {
    const body = (n: number) => ({ schemas: [USER], userName: 'u', ...values(n) });
    expect(() => normalizeResource(body(MAX_VALUES_PER_ATTRIBUTE), USER_RESOURCE, 'create')).not.toThrow();
    const error = scimError(() =>
      normalizeResource(body(MAX_VALUES_PER_ATTRIBUTE + 1), USER_RESOURCE, 'replace'),
    );
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toBe(
      `Attribute '${name}' would have 1001 values; the limit is 1000 values per attribute.`,
    );
  });

  it('counts schemas URNs against MAX_VALUES_PER_ATTRIBUTE', () => {
    const urns = Array.from({ length: MAX_VALUES_PER_ATTRIBUTE }, (_, i) => `urn:acme:${i}`);
    const error = scimError(() =>
      normalizeResource({ schemas: [USER, ...urns], userName: 'u' }, USER_RESOURCE, 'create'),
    );
    expect(error.detail).toMatch(/'schemas' would have 1001 values; the limit is 1000/);
    // Attributes keyed by URNs we do not model are listed in schemas too.
    const declared = urns.slice(0, 500);
    const keyed = Object.fromEntries(urns.slice(500).map((urn) => [urn, { x: 1 }]));
    const listed = { schemas: [USER, ...declared], userName: 'u', ...keyed };
    expect(scimError(() => normalizeResource(listed, USER_RESOURCE, 'create')).detail).toMatch(
      /'schemas' would have 1001 values/,
    );
  });

  it.each<[string, (attributes: Record<string, number>) => Record<string, unknown>, string]>([
    ['the resource', (a) => ({ ...a }), 'The User'],
    ['an extension object', (a) => ({ [ENTERPRISE]: a }), `Extension '${ENTERPRISE}'`],
    ['an extension we do not model', (a) => ({ 'urn:acme:2.0:User': a }), `Extension 'urn:acme:2.0:User'`],
    ['a complex value', (a) => ({ name: a }), `Attribute 'name'`],
    [
      'a value of a multi-valued attribute',
      (a) => ({ addresses: [{ type: 'work' }, a] }),
      `Attribute 'addresses'`,
    ],
  ])('takes at most MAX_ATTRIBUTES_PER_OBJECT attributes in %s', (_name, place, what) => {
    const attributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, i]));
    const body = (n: number) => ({ schemas: [USER], userName: 'u', ...place(attributes(n)) });
    // The resource itself also holds schemas and userName.
    const fits = what === 'The User' ? MAX_ATTRIBUTES_PER_OBJECT - 2 : MAX_ATTRIBUTES_PER_OBJECT;
    expect(() => normalizeResource(body(fits), USER_RESOURCE, 'create')).not.toThrow();
    const error = scimError(() => normalizeResource(body(fits + 1), USER_RESOURCE, 'create'));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toBe(`${what} has 1001 attributes; the limit is 1000 attributes per object.`);
  });

  it('does not modify its input', () => {
    const body = {
      schemas: [USER],
      userName: 'u',
      emails: [
        { value: 'a', primary: true },
        { value: 'b', primary: true },
      ],
    };
    const copy = structuredClone(body);
    normalizeResource(body, USER_RESOURCE, 'create');
    expect(body).toEqual(copy);
  });
});
