import { SCIM_SCHEMAS } from './scim-schema.types';
import {
  ENTERPRISE_USER_SCHEMA,
  findAttribute,
  findByName,
  GROUP_RESOURCE,
  GROUP_SCHEMA,
  META_ATTRIBUTE,
  USER_RESOURCE,
  USER_SCHEMA,
} from './scim-schemas';

const ENT = SCIM_SCHEMAS.enterpriseUser;

describe('schema definitions', () => {
  it('defines userName per RFC 7643 §8.7.1', () => {
    expect(findByName(USER_SCHEMA.attributes, 'userName')).toMatchObject({
      required: true,
      uniqueness: 'server',
      caseExact: false,
      type: 'string',
    });
  });

  it('never returns the password', () => {
    expect(findByName(USER_SCHEMA.attributes, 'password')).toMatchObject({
      mutability: 'writeOnly',
      returned: 'never',
    });
  });

  it('has every core User attribute of RFC 7643 §4.1', () => {
    const names = USER_SCHEMA.attributes.map((a) => a.name);
    expect(names).toEqual([
      'userName',
      'name',
      'displayName',
      'nickName',
      'profileUrl',
      'title',
      'userType',
      'preferredLanguage',
      'locale',
      'timezone',
      'active',
      'password',
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'addresses',
      'groups',
      'entitlements',
      'roles',
      'x509Certificates',
    ]);
    for (const name of [
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'entitlements',
      'roles',
      'x509Certificates',
    ]) {
      const attr = findByName(USER_SCHEMA.attributes, name);
      expect(attr?.multiValued).toBe(true);
      expect(attr?.subAttributes?.map((s) => s.name)).toEqual(['value', 'display', 'type', 'primary']);
    }
    expect(findByName(USER_SCHEMA.attributes, 'addresses')?.subAttributes?.map((s) => s.name)).toEqual([
      'formatted',
      'streetAddress',
      'locality',
      'region',
      'postalCode',
      'country',
      'type',
      'primary',
    ]);
    expect(findByName(USER_SCHEMA.attributes, 'groups')?.mutability).toBe('readOnly');
  });

  it('defines the enterprise manager and the Group members', () => {
    const manager = findByName(ENTERPRISE_USER_SCHEMA.attributes, 'manager');
    expect(manager?.subAttributes?.map((s) => [s.name, s.mutability])).toEqual([
      ['value', 'readWrite'],
      ['$ref', 'readWrite'],
      ['displayName', 'readOnly'],
    ]);
    expect(findByName(GROUP_SCHEMA.attributes, 'displayName')?.required).toBe(true);
    const members = findByName(GROUP_SCHEMA.attributes, 'members');
    expect(members?.subAttributes?.map((s) => [s.name, s.mutability])).toEqual([
      ['value', 'immutable'],
      ['$ref', 'immutable'],
      ['display', 'readOnly'],
      ['type', 'immutable'],
    ]);
    expect(findByName(members?.subAttributes, 'type')?.canonicalValues).toEqual(['User', 'Group']);
  });

  it('makes meta read-only throughout', () => {
    expect(META_ATTRIBUTE.mutability).toBe('readOnly');
    expect(META_ATTRIBUTE.subAttributes?.every((s) => s.mutability === 'readOnly')).toBe(true);
  });
});

describe('findAttribute', () => {
  it.each([
    ['userName', SCIM_SCHEMAS.user, 'userName', undefined],
    ['USERNAME', SCIM_SCHEMAS.user, 'userName', undefined],
    ['name.givenName', SCIM_SCHEMAS.user, 'name.givenName', 'givenName'],
    ['NAME.GIVENNAME', SCIM_SCHEMAS.user, 'name.givenName', 'givenName'],
    ['emails.value', SCIM_SCHEMAS.user, 'emails.value', 'value'],
    ['emails', SCIM_SCHEMAS.user, 'emails', undefined],
    ['meta.lastModified', SCIM_SCHEMAS.user, 'meta.lastModified', 'lastModified'],
    ['id', SCIM_SCHEMAS.user, 'id', undefined],
    ['externalId', SCIM_SCHEMAS.user, 'externalId', undefined],
    [`${SCIM_SCHEMAS.user}:userName`, SCIM_SCHEMAS.user, 'userName', undefined],
    [`${SCIM_SCHEMAS.user.toLowerCase()}:username`, SCIM_SCHEMAS.user, 'userName', undefined],
    [`${ENT}:department`, ENT, `${ENT}:department`, undefined],
    [`${ENT}:manager.value`, ENT, `${ENT}:manager.value`, 'value'],
    [`${ENT.toUpperCase()}:MANAGER.DISPLAYNAME`, ENT, `${ENT}:manager.displayName`, 'displayName'],
  ])('resolves %s', (path, schemaUrn, canonicalPath, sub) => {
    const resolved = findAttribute(USER_RESOURCE, path);
    expect(resolved).toMatchObject({ schemaUrn, canonicalPath });
    expect(resolved?.subAttribute?.name).toBe(sub);
  });

  it.each([
    'nope',
    'name.nope',
    'name.givenName.x',
    'department',
    ENT,
    `${ENT}:`,
    `${ENT}:nope`,
    'urn:unknown:schema:attr',
    'members',
    '',
    'name.',
  ])('returns undefined for %s on User', (path) => {
    expect(findAttribute(USER_RESOURCE, path)).toBeUndefined();
  });

  it('resolves Group attributes and accepts a schema list', () => {
    expect(findAttribute(GROUP_RESOURCE, 'members.value')?.canonicalPath).toBe('members.value');
    expect(findAttribute(GROUP_RESOURCE, 'members.$REF')?.canonicalPath).toBe('members.$ref');
    expect(findAttribute([GROUP_SCHEMA], 'displayname')?.canonicalPath).toBe('displayName');
    expect(findAttribute(GROUP_RESOURCE, 'userName')).toBeUndefined();
  });
});
