import { GROUP_RESOURCE, USER_RESOURCE } from '../schema/scim-schemas';
import { MAX_ATTRIBUTE_LIST_LENGTH } from '../scim-limits';
import type { ScimResourceDefinition } from '../schema/scim-schemas';
import { ScimException } from '../scim.exception';
import { parseAttributeList, parseProjection, type ProjectionOptions } from './scim-projection';

/** One resource projected, as a service does it: the options parsed once, then applied. */
function project(
  resource: Record<string, unknown>,
  definition: ScimResourceDefinition,
  options: ProjectionOptions = {},
): Record<string, unknown> {
  return parseProjection(options, definition).apply(resource);
}

function wants(options: ProjectionOptions, attribute: string, definition: ScimResourceDefinition): boolean {
  return parseProjection(options, definition).wants(attribute);
}

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  id: 'u1',
  externalId: 'ext',
  userName: 'ann',
  password: 'secret',
  name: { givenName: 'Ann', familyName: 'Lee' },
  displayName: 'Ann Lee',
  emails: [
    { value: 'ann@x.com', type: 'work', primary: true },
    { value: 'ann@home.org', type: 'home' },
  ],
  [ENT]: { department: 'Sales', costCenter: 'C1', manager: { value: 'u2', displayName: 'Bob' } },
  meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z', lastModified: '2020-01-02T00:00:00Z' },
  customThing: 1,
};

describe('parseAttributeList', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['userName', ['userName']],
    [' userName , name.givenName ,,emails ', ['userName', 'name.givenName', 'emails']],
  ])('%j', (input, expected) => {
    expect(parseAttributeList(input)).toEqual(expected);
  });
});

describe('project', () => {
  it('removes returned:never attributes by default and keeps everything else', () => {
    const { password: _password, ...rest } = user;
    expect(project(user, USER_RESOURCE)).toEqual(rest);
  });

  it.each<[string, Record<string, unknown>]>([
    ['userName', { schemas: user.schemas, id: 'u1', userName: 'ann' }],
    ['USERNAME,DisplayName', { schemas: user.schemas, id: 'u1', userName: 'ann', displayName: 'Ann Lee' }],
    ['name.givenName', { schemas: user.schemas, id: 'u1', name: { givenName: 'Ann' } }],
    [
      'emails.value',
      { schemas: user.schemas, id: 'u1', emails: [{ value: 'ann@x.com' }, { value: 'ann@home.org' }] },
    ],
    [
      'emails.type,emails.primary',
      {
        schemas: user.schemas,
        id: 'u1',
        emails: [{ type: 'work', primary: true }, { type: 'home' }],
      },
    ],
    [`${ENT}:department`, { schemas: user.schemas, id: 'u1', [ENT]: { department: 'Sales' } }],
    [
      `${ENT.toLowerCase()}:manager.value`,
      { schemas: user.schemas, id: 'u1', [ENT]: { manager: { value: 'u2' } } },
    ],
    [ENT, { schemas: user.schemas, id: 'u1', [ENT]: user[ENT] }],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName',
      { schemas: user.schemas, id: 'u1', userName: 'ann' },
    ],
    [
      'meta.lastModified',
      { schemas: user.schemas, id: 'u1', meta: { lastModified: '2020-01-02T00:00:00Z' } },
    ],
    ['password', { schemas: user.schemas, id: 'u1' }],
    ['nope,urn:nope:x', { schemas: user.schemas, id: 'u1' }],
    ['customThing', { schemas: user.schemas, id: 'u1', customThing: 1 }],
  ])('attributes=%s', (attributes, expected) => {
    expect(project(user, USER_RESOURCE, { attributes })).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['name', ['name']],
    ['emails,NAME', ['emails', 'name']],
    [ENT, [ENT]],
    ['id,schemas', []],
    ['customThing', ['customThing']],
  ])('excludedAttributes=%s drops %j', (excludedAttributes, dropped) => {
    const projected = project(user, USER_RESOURCE, { excludedAttributes });
    for (const key of dropped) expect(projected).not.toHaveProperty([key]);
    expect(projected).toHaveProperty('id', 'u1');
    expect(projected).toHaveProperty('schemas');
    expect(projected).not.toHaveProperty('password');
  });

  it('excludes sub-attributes and extension attributes', () => {
    const projected = project(user, USER_RESOURCE, {
      excludedAttributes: `name.familyName,emails.primary,${ENT}:costCenter,${ENT}:manager.displayName`,
    });
    expect(projected['name']).toEqual({ givenName: 'Ann' });
    expect(projected['emails']).toEqual([
      { value: 'ann@x.com', type: 'work' },
      { value: 'ann@home.org', type: 'home' },
    ]);
    expect(projected[ENT]).toEqual({ department: 'Sales', manager: { value: 'u2' } });
  });

  it('drops an extension left empty', () => {
    expect(
      project(user, USER_RESOURCE, {
        excludedAttributes: `${ENT}:department,${ENT}:costCenter,${ENT}:manager`,
      }),
    ).not.toHaveProperty([ENT]);
  });

  it('applies excludedAttributes after attributes', () => {
    expect(
      project(user, USER_RESOURCE, { attributes: 'name', excludedAttributes: 'name.familyName' }),
    ).toEqual({
      schemas: user.schemas,
      id: 'u1',
      name: { givenName: 'Ann' },
    });
  });

  it('keeps the key casing of the resource', () => {
    const odd = { Schemas: ['x'], ID: 'u1', USERNAME: 'ann', Name: { GivenName: 'A', familyName: 'B' } };
    expect(project(odd, USER_RESOURCE, { attributes: 'name.givenName' })).toEqual({
      Schemas: ['x'],
      ID: 'u1',
      Name: { GivenName: 'A' },
    });
  });

  it('does not modify the input', () => {
    const copy = structuredClone(user);
    project(user, USER_RESOURCE, { attributes: 'emails.value', excludedAttributes: 'name' });
    expect(user).toEqual(copy);
  });

  it('projects groups', () => {
    const group = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: 'g1',
      displayName: 'Sales',
      members: [{ value: 'u1', display: 'Ann', $ref: 'http://x/Users/u1' }],
    };
    expect(project(group, GROUP_RESOURCE, { excludedAttributes: 'members' })).toEqual({
      schemas: group.schemas,
      id: 'g1',
      displayName: 'Sales',
    });
    expect(project(group, GROUP_RESOURCE, { attributes: 'members.value' })).toEqual({
      schemas: group.schemas,
      id: 'g1',
      members: [{ value: 'u1' }],
    });
  });
});

describe('wantsAttribute', () => {
  it.each<[{ attributes?: string; excludedAttributes?: string }, boolean]>([
    [{}, true],
    [{ excludedAttributes: 'members' }, false],
    [{ excludedAttributes: 'MEMBERS' }, false],
    [{ excludedAttributes: 'urn:ietf:params:scim:schemas:core:2.0:Group:members' }, false],
    [{ excludedAttributes: 'members.display' }, true],
    [{ excludedAttributes: 'displayName' }, true],
    [{ attributes: 'displayName' }, false],
    [{ attributes: 'members' }, true],
    [{ attributes: 'members.value' }, true],
    [{ attributes: 'displayName,Members' }, true],
    [{ attributes: 'members', excludedAttributes: 'members' }, false],
  ])('members with %j → %s', (options, expected) => {
    expect(wants(options, 'members', GROUP_RESOURCE)).toBe(expected);
  });

  it('knows returned:always and returned:never attributes', () => {
    expect(wants({ attributes: 'userName' }, 'id', USER_RESOURCE)).toBe(true);
    expect(wants({ excludedAttributes: 'id' }, 'id', USER_RESOURCE)).toBe(true);
    expect(wants({}, 'password', USER_RESOURCE)).toBe(false);
    expect(wants({ excludedAttributes: 'groups' }, 'groups', USER_RESOURCE)).toBe(false);
    expect(wants({}, 'groups', USER_RESOURCE)).toBe(true);
  });
});

describe('parseProjection', () => {
  it.each(['attributes', 'excludedAttributes'] as const)(
    'refuses %s longer than the limit with 400 invalidValue naming it',
    (name) => {
      const atLimit = `userName,${'x'.repeat(MAX_ATTRIBUTE_LIST_LENGTH - 9)}`;
      expect(() => parseProjection({ [name]: atLimit }, USER_RESOURCE)).not.toThrow();
      let error: unknown;
      try {
        parseProjection({ [name]: `${atLimit},` }, USER_RESOURCE);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScimException);
      expect(error).toMatchObject({
        status: 400,
        scimType: 'invalidValue',
        detail: `'${name}' has 8193 characters; the limit is 8192 characters.`,
      });
    },
  );

  it('parses once and projects every resource of a page the same way', () => {
    const projection = parseProjection({ attributes: 'emails.value,NAME.givenName' }, USER_RESOURCE);
    const page = Array.from({ length: 3 }, (_, i) => ({ ...user, id: `u${i}` }));
    expect(page.map((r) => projection.apply(r))).toEqual(
      page.map((r) => ({
        schemas: user.schemas,
        id: r.id,
        name: { givenName: 'Ann' },
        emails: [{ value: 'ann@x.com' }, { value: 'ann@home.org' }],
      })),
    );
  });
});
