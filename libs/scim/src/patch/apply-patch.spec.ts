import { ScimException } from '../scim.exception';
import {
  MAX_ATTRIBUTES_PER_OBJECT,
  MAX_MEMBERS_PER_REQUEST,
  MAX_PATCH_OPERATIONS,
  MAX_VALUES_PER_ATTRIBUTE,
} from '../scim-limits';
import { GROUP_RESOURCE, SCIM_SCHEMAS, USER_RESOURCE, type ScimResourceDefinition } from '../schema';
import type { ScimResource } from '../resource';
import { applyPatch, parsePatchBody, type ApplyPatchOptions } from './apply-patch';
import type { MembersChange } from './member-changes';

const USER = SCIM_SCHEMAS.user;
const ENTERPRISE = SCIM_SCHEMAS.enterpriseUser;
const GROUP = SCIM_SCHEMAS.group;
const PATCH_OP = SCIM_SCHEMAS.patchOp;

const patch = (...Operations: unknown[]): unknown => ({ schemas: [PATCH_OP], Operations });

/** A PATCH request body applied to a resource, as the services do: parsed, then applied. */
function patched(
  resource: ScimResource,
  body: unknown,
  definition: ScimResourceDefinition,
  options?: ApplyPatchOptions,
) {
  return applyPatch(resource, parsePatchBody(body), definition, options);
}

function user(extra: ScimResource = {}): ScimResource {
  return {
    schemas: [USER],
    userName: 'test.user@okta.local',
    name: { givenName: 'Test', middleName: '', familyName: 'User' },
    active: true,
    emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
    ...extra,
  };
}

const GROUP_ID = 'abf4dd94-a4c0-4f67-89c9-76b03340cb9b';
function group(extra: ScimResource = {}): ScimResource {
  return { schemas: [GROUP], displayName: 'Test SCIMv2', ...extra };
}

function scimError(fn: () => unknown): ScimException {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimException) return error;
    throw error;
  }
  throw new Error('expected a ScimException');
}

interface UserCase {
  name: string;
  before?: ScimResource;
  body: unknown;
  /** Expected resource, or a function checking it. */
  after: ScimResource | ((r: ScimResource) => void);
  password?: string;
  changed?: boolean;
}

describe('applyPatch — Users (documented Okta and Entra requests)', () => {
  const cases: UserCase[] = [
    {
      name: 'Okta: deactivate user (replace, no path, value object)',
      body: patch({ op: 'replace', value: { active: false } }),
      after: user({ active: false }),
    },
    {
      name: 'Okta: password sync (replace, no path) — password extracted, never stored',
      body: patch({ op: 'replace', value: { password: 'NewPassword1234' } }),
      after: user(),
      password: 'NewPassword1234',
      changed: false,
    },
    {
      name: 'Okta: update attributes (path-less replace of several attributes)',
      body: patch({
        op: 'replace',
        value: { name: { middleName: 'Excited' }, displayName: 'Another User', 'name.givenName': 'Another' },
      }),
      after: user({
        name: { givenName: 'Another', middleName: 'Excited', familyName: 'User' },
        displayName: 'Another User',
      }),
    },
    {
      name: 'Entra: Update User [Multi-valued properties]',
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        ],
      },
      after: user({
        name: { givenName: 'Test', middleName: '', familyName: 'updatedFamilyName' },
        emails: [
          {
            primary: true,
            value: 'updatedEmail@microsoft.com',
            type: 'work',
            display: 'test.user@okta.local',
          },
        ],
      }),
    },
    {
      name: 'Entra: Update User [Single-valued properties]',
      body: patch({
        op: 'Replace',
        path: 'userName',
        value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com',
      }),
      after: user({ userName: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }),
    },
    {
      name: 'Entra: Disable User',
      body: { Operations: [{ op: 'Replace', path: 'active', value: false }], schemas: [PATCH_OP] },
      after: user({ active: false }),
    },
    {
      name: 'Entra (without aadOptscim062020): disable user with the string "False"',
      body: patch({ op: 'Replace', path: 'active', value: 'False' }),
      after: user({ active: false }),
    },
    {
      name: 'Entra (with aadOptscim062020): add a single-value string attribute',
      body: patch({ op: 'add', path: 'nickName', value: 'Babs' }),
      after: user({ nickName: 'Babs' }),
    },
    {
      name: 'Entra (without aadOptscim062020): replace multiple attributes, one op each',
      body: patch(
        { op: 'Replace', path: 'displayName', value: 'Pvlo' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'TestBcwqnm@test.microsoft.com' },
        { op: 'Replace', path: 'name.givenName', value: 'Gtfd' },
        { op: 'Replace', path: 'name.familyName', value: 'Pkqf' },
        { op: 'Replace', path: 'externalId', value: 'Eqpj' },
        { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Eqpj' },
      ),
      after: (r) => {
        expect(r).toMatchObject({
          schemas: [USER, ENTERPRISE],
          displayName: 'Pvlo',
          externalId: 'Eqpj',
          name: { givenName: 'Gtfd', familyName: 'Pkqf' },
          emails: [{ value: 'TestBcwqnm@test.microsoft.com', type: 'work', primary: true }],
          [ENTERPRISE]: { employeeNumber: 'Eqpj' },
        });
      },
    },
    {
      name: 'Entra (with aadOptscim062020): replace multiple attributes, path-less with dotted and URN keys',
      body: patch(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'TestMhvaes@test.microsoft.com' },
        {
          op: 'replace',
          value: {
            displayName: 'Bjfe',
            'name.givenName': 'Kkom',
            'name.familyName': 'Unua',
            [`${ENTERPRISE}:employeeNumber`]: 'Aklq',
          },
        },
      ),
      after: (r) => {
        expect(r).toMatchObject({
          schemas: [USER, ENTERPRISE],
          displayName: 'Bjfe',
          name: { givenName: 'Kkom', middleName: '', familyName: 'Unua' },
          emails: [{ value: 'TestMhvaes@test.microsoft.com', type: 'work' }],
          [ENTERPRISE]: { employeeNumber: 'Aklq' },
        });
      },
    },
    {
      name: 'Entra: update manager (Add, URN path, plain string id)',
      body: patch({
        op: 'Add',
        path: `${ENTERPRISE}:manager`,
        value: '26118915-6090-4610-87e4-49d8ca9f808d',
      }),
      after: user({
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' } },
      }),
    },
    {
      name: 'Entra (legacy): update manager wrapped as [{"$ref": null, "value": …}] with an unqualified path',
      before: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'Sales' } }),
      body: patch({
        op: 'Add',
        path: 'manager',
        value: [{ $ref: null, value: '2819c223-7f76-453a-919d-413861904646' }],
      }),
      after: user({
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { department: 'Sales', manager: { value: '2819c223-7f76-453a-919d-413861904646' } },
      }),
    },
    {
      name: 'a new manager id drops the stale $ref of the previous manager',
      before: user({
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { manager: { value: 'm-1', $ref: '../Users/m-1' } },
      }),
      body: patch({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'm-2' } }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm-2' } } }),
    },
    {
      name: 'manager.value by URN path',
      body: patch({ op: 'replace', path: `${ENTERPRISE}:manager.value`, value: 'm-9' }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm-9' } } }),
    },
    {
      name: 'Entra: remove manager (URN path) — extension left empty goes away with its URN',
      before: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm-1' } } }),
      body: patch({ op: 'Remove', path: `${ENTERPRISE}:manager` }),
      after: user(),
    },
    {
      name: 'remove manager by unqualified path keeps other enterprise attributes',
      before: user({
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { manager: { value: 'm-1' }, department: 'D' },
      }),
      body: patch({ op: 'remove', path: 'manager' }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'D' } }),
    },
    {
      name: 'path-less add of a whole enterprise extension object keyed by URN (case-insensitive)',
      body: patch({
        op: 'add',
        value: {
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user': { Department: 'Ops', manager: 'm-3' },
        },
      }),
      after: user({
        schemas: [USER, ENTERPRISE],
        [ENTERPRISE]: { department: 'Ops', manager: { value: 'm-3' } },
      }),
    },
    {
      name: 'path-less replace with a URN-qualified key',
      body: patch({ op: 'replace', value: { [`${ENTERPRISE}:department`]: 'Tour Operations' } }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'Tour Operations' } }),
    },
    {
      name: 'add on a filtered path that matches nothing creates the element',
      body: patch({ op: 'add', path: 'emails[type eq "home"].value', value: 'home@x.com' }),
      after: user({
        emails: [
          { primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' },
          { type: 'home', value: 'home@x.com' },
        ],
      }),
    },
    {
      name: 'replace on a filtered path that matches nothing also creates it (Entra relies on this)',
      before: user({ emails: undefined }),
      body: patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@x.com' }),
      after: (r) => expect(r['emails']).toEqual([{ type: 'work', value: 'w@x.com' }]),
    },
    {
      name: 'addresses[type eq "work"].formatted',
      body: patch({ op: 'Replace', path: 'addresses[type eq "work"].formatted', value: '1 Main St' }),
      after: user({ addresses: [{ type: 'work', formatted: '1 Main St' }] }),
    },
    {
      name: 'filter with "and" and a boolean literal; creating seeds both terms',
      before: user({ emails: [{ value: 'a@x.com', type: 'work' }] }),
      body: patch({
        op: 'replace',
        path: 'emails[type eq "work" and primary eq true].value',
        value: 'p@x.com',
      }),
      after: (r) =>
        expect(r['emails']).toEqual([
          { value: 'a@x.com', type: 'work' },
          { type: 'work', primary: true, value: 'p@x.com' },
        ]),
    },
    {
      name: 'filter compares case-insensitively for caseExact=false sub-attributes',
      body: patch({ op: 'replace', path: 'emails[TYPE eq "WORK"].Value', value: 'x@x.com' }),
      after: (r) => expect((r['emails'] as ScimResource[])[0]?.['value']).toBe('x@x.com'),
    },
    {
      name: 'replace of a filtered element without sub-attribute replaces the element',
      body: patch({
        op: 'replace',
        path: 'emails[type eq "work"]',
        value: { value: 'n@x.com', type: 'work' },
      }),
      after: user({ emails: [{ value: 'n@x.com', type: 'work' }] }),
    },
    {
      name: 'add to a multi-valued attribute appends and skips identical elements',
      body: patch({
        op: 'add',
        path: 'emails',
        value: [
          { primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' },
          { value: 'other@x.com', type: 'other' },
        ],
      }),
      after: user({
        emails: [
          { primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' },
          { value: 'other@x.com', type: 'other' },
        ],
      }),
    },
    {
      name: 'adding a primary element clears the previous primary',
      body: patch({
        op: 'add',
        path: 'emails',
        value: [{ value: 'new@x.com', type: 'home', primary: 'True' }],
      }),
      after: (r) =>
        expect(r['emails']).toEqual([
          { primary: false, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' },
          { value: 'new@x.com', type: 'home', primary: true },
        ]),
    },
    {
      name: 'setting primary on a filtered element clears the others',
      before: user({
        emails: [
          { value: 'a@x.com', type: 'work', primary: true },
          { value: 'b@x.com', type: 'home' },
        ],
      }),
      body: patch({ op: 'replace', path: 'emails[type eq "home"].primary', value: true }),
      after: (r) =>
        expect(r['emails']).toEqual([
          { value: 'a@x.com', type: 'work', primary: false },
          { value: 'b@x.com', type: 'home', primary: true },
        ]),
    },
    {
      name: 'replace a multi-valued attribute without filter replaces all values',
      body: patch({ op: 'replace', path: 'phoneNumbers', value: [{ value: '1', type: 'work' }] }),
      after: user({ phoneNumbers: [{ value: '1', type: 'work' }] }),
    },
    {
      name: 'remove with a filter removes the matching element',
      before: user({
        emails: [
          { value: 'a@x.com', type: 'work' },
          { value: 'b@x.com', type: 'home' },
        ],
      }),
      body: patch({ op: 'remove', path: 'emails[type eq "home"]' }),
      after: user({ emails: [{ value: 'a@x.com', type: 'work' }] }),
    },
    {
      name: 'remove with a filter matching nothing is a no-op',
      body: patch({ op: 'remove', path: 'emails[type eq "home"]' }),
      after: user(),
      changed: false,
    },
    {
      name: 'remove of a sub-attribute and of a whole attribute',
      body: patch({ op: 'remove', path: 'name.middleName' }, { op: 'remove', path: 'emails' }),
      after: user({ name: { givenName: 'Test', familyName: 'User' }, emails: undefined }),
    },
    {
      name: 'replace with null unassigns',
      body: patch({ op: 'replace', path: 'name', value: null }),
      after: user({ name: undefined }),
    },
    {
      name: 'add on a single-valued complex attribute merges sub-attributes',
      body: patch({ op: 'add', path: 'name', value: { honorificPrefix: 'Dr' } }),
      after: user({ name: { givenName: 'Test', middleName: '', familyName: 'User', honorificPrefix: 'Dr' } }),
    },
    {
      name: 'attribute names and op are case-insensitive; keys are written canonically',
      body: { SCHEMAS: [PATCH_OP], operations: [{ OP: 'REPLACE', PATH: 'NickName', VALUE: 'Babs' }] },
      after: user({ nickName: 'Babs' }),
    },
    {
      name: 'core-URN-qualified path',
      body: patch({ op: 'replace', path: `${USER}:displayName`, value: 'D' }),
      after: user({ displayName: 'D' }),
    },
    {
      name: 'replace password by path',
      body: patch({ op: 'replace', path: 'password', value: 's3cret' }),
      after: user(),
      password: 's3cret',
    },
    {
      name: 'unknown extension attributes are applied untyped under their URN (Entra custom attributes)',
      body: patch(
        {
          op: 'Add',
          path: 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:CustomAttribute',
          value: 'x',
        },
        {
          op: 'replace',
          value: { 'urn:ietf:params:scim:schemas:extension:Other:2.0:User': { color: 'blue' } },
        },
      ),
      after: user({
        schemas: [
          USER,
          'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User',
          'urn:ietf:params:scim:schemas:extension:Other:2.0:User',
        ],
        'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User': { CustomAttribute: 'x' },
        'urn:ietf:params:scim:schemas:extension:Other:2.0:User': { color: 'blue' },
      }),
    },
    {
      name: 'replace of the whole enterprise extension by its URN path',
      before: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'D', costCenter: 'C' } }),
      body: patch({ op: 'replace', path: ENTERPRISE, value: { division: 'V' } }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { division: 'V' } }),
    },
    {
      name: 'add to the whole enterprise extension by its URN path merges',
      before: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'D' } }),
      body: patch({ op: 'add', path: ENTERPRISE, value: { division: 'V' } }),
      after: user({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'D', division: 'V' } }),
    },
    {
      name: 'remove of an unknown extension attribute',
      before: user({ schemas: [USER, 'urn:x:ext:2.0:User'], 'urn:x:ext:2.0:User': { a: 1, b: 2 } }),
      body: patch({ op: 'remove', path: 'urn:x:ext:2.0:User:a' }),
      after: user({ schemas: [USER, 'urn:x:ext:2.0:User'], 'urn:x:ext:2.0:User': { b: 2 } }),
    },
    {
      name: 'Entra-style path-less Add of a multi-valued attribute and a lower-cased name',
      body: patch({
        op: 'Add',
        value: { emails: [{ value: 'home@x.com', type: 'home', primary: true }], nickname: 'added-babs' },
      }),
      after: user({
        emails: [
          { primary: false, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' },
          { value: 'home@x.com', type: 'home', primary: true },
        ],
        nickName: 'added-babs',
      }),
    },
    {
      name: 'path-less value with an empty readOnly groups list is accepted',
      body: patch({ op: 'replace', value: { groups: [], active: false } }),
      after: user({ active: false }),
    },
    {
      name: 'path-less value echoing readOnly attributes with their current values is accepted',
      before: user({ meta: { resourceType: 'User' } }),
      body: patch({
        op: 'replace',
        value: { schemas: [USER], meta: { resourceType: 'User' }, nickName: 'N' },
      }),
      after: user({ meta: { resourceType: 'User' }, nickName: 'N' }),
    },
  ];

  it.each(cases)('$name', ({ before, body, after, password, changed }) => {
    const input = before ?? user();
    const frozen = structuredClone(input);
    const result = patched(input, body, USER_RESOURCE);
    expect(input).toEqual(frozen);
    const expected = typeof after === 'function' ? undefined : JSON.parse(JSON.stringify(after));
    if (typeof after === 'function') after(result.resource);
    else expect(result.resource).toEqual(expected);
    expect(result.password).toBe(password);
    expect(result.resource['password']).toBeUndefined();
    expect(result.members).toBeUndefined();
    if (changed !== undefined) expect(result.changed).toBe(changed);
  });

  it('reports changed=true when something changed and false for a no-op', () => {
    expect(
      patched(user(), patch({ op: 'replace', path: 'active', value: false }), USER_RESOURCE).changed,
    ).toBe(true);
    expect(
      patched(user(), patch({ op: 'replace', path: 'active', value: 'True' }), USER_RESOURCE).changed,
    ).toBe(false);
  });
});

interface GroupCase {
  name: string;
  before?: ScimResource;
  body: unknown;
  after: ScimResource;
  members?: MembersChange;
}

describe('applyPatch — Groups (documented Okta and Entra requests)', () => {
  const cases: GroupCase[] = [
    {
      name: 'Okta: rename group (path-less replace echoing the group id)',
      body: patch({ op: 'replace', value: { id: GROUP_ID, displayName: 'Test SCIMv20' } }),
      after: group({ displayName: 'Test SCIMv20' }),
    },
    {
      name: 'Okta: remove one member by filter and add one, in one request',
      body: patch(
        { op: 'remove', path: 'members[value eq "89bb1940-b905-4575-9e7f-6f887cfb368e"]' },
        {
          op: 'add',
          path: 'members',
          value: [{ value: '23a35c27-23d3-4c03-b4c5-6443c09e7173', display: 'test.user@okta.local' }],
        },
      ),
      after: group(),
      members: {
        replaceAll: false,
        add: ['23a35c27-23d3-4c03-b4c5-6443c09e7173'],
        remove: ['89bb1940-b905-4575-9e7f-6f887cfb368e'],
      },
    },
    {
      name: 'Okta: replace all members',
      body: patch({
        op: 'replace',
        path: 'members',
        value: [
          { value: 'u1', display: 'a' },
          { value: 'u2', display: 'b' },
        ],
      }),
      after: group(),
      members: { replaceAll: true, add: ['u1', 'u2'], remove: [] },
    },
    {
      name: 'Okta: mixed request — remove, add and rename with the group id echoed',
      body: patch(
        { op: 'remove', path: 'members[value eq "u9"]' },
        { op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] },
        { op: 'replace', value: { id: GROUP_ID, displayName: 'Renamed' } },
      ),
      after: group({ displayName: 'Renamed' }),
      members: { replaceAll: false, add: ['u1', 'u2'], remove: ['u9'] },
    },
    {
      name: 'Entra: Update Group [Non-member attributes]',
      body: patch({
        op: 'Replace',
        path: 'displayName',
        value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
      }),
      after: group({ displayName: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }),
    },
    {
      name: 'Entra: Update Group [Add Members]',
      body: patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }),
      after: group(),
      members: { replaceAll: false, add: ['f648f8d5ea4e4cd38e9c'], remove: [] },
    },
    {
      name: 'Entra: Update Group [Remove Members] (path members with a value list)',
      body: patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }),
      after: group(),
      members: { replaceAll: false, add: [], remove: ['f648f8d5ea4e4cd38e9c'] },
    },
    {
      name: 'Entra (aadOptscim062020): remove a member by filter',
      body: patch({ op: 'remove', path: 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]' }),
      after: group(),
      members: { replaceAll: false, add: [], remove: ['7f4bc1a3-285e-48ae-8202-5accb43efb0e'] },
    },
    {
      name: 'remove members[value eq a or value eq b]',
      body: patch({ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }),
      after: group(),
      members: { replaceAll: false, add: [], remove: ['a', 'b'] },
    },
    {
      name: 'remove all members',
      body: patch({ op: 'remove', path: 'members' }),
      after: group(),
      members: { replaceAll: true, add: [], remove: [] },
    },
    {
      name: 'path-less add and replace of members',
      body: patch(
        { op: 'add', value: { members: [{ value: 'u1' }] } },
        { op: 'replace', value: { members: [] } },
      ),
      after: group(),
      members: { replaceAll: true, add: [], remove: [] },
    },
    {
      name: 'consecutive adds are merged and deduplicated',
      body: patch(
        { op: 'add', path: 'members', value: [{ value: 'u1' }] },
        { op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] },
      ),
      after: group(),
      members: { replaceAll: false, add: ['u1', 'u2'], remove: [] },
    },
    {
      name: 'operations add up to one net change: the last word on each member counts',
      body: patch(
        { op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] },
        { op: 'remove', path: 'members[value eq "U1"]' },
        { op: 'remove', path: 'members', value: [{ value: 'u3' }] },
        { op: 'add', path: 'members', value: [{ value: 'u3' }] },
      ),
      after: group(),
      members: { replaceAll: false, add: ['u2', 'u3'], remove: ['U1'] },
    },
    {
      name: 'a replace resets the members: later adds and removes apply to the new list',
      body: patch(
        { op: 'remove', path: 'members[value eq "u9"]' },
        { op: 'replace', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] },
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'add', path: 'members', value: [{ value: 'u3' }] },
      ),
      after: group(),
      members: { replaceAll: true, add: ['u2', 'u3'], remove: [] },
    },
    {
      name: 'members already in the stored resource are never touched',
      before: group({ members: [{ value: 'old' }] }),
      body: patch({ op: 'add', path: 'members', value: [{ value: 'u1' }] }),
      after: group({ members: [{ value: 'old' }] }),
      members: { replaceAll: false, add: ['u1'], remove: [] },
    },
  ];

  it.each(cases)('$name', ({ before, body, after, members }) => {
    const input = before ?? group();
    const frozen = structuredClone(input);
    const result = patched(input, body, GROUP_RESOURCE, { resourceId: GROUP_ID });
    expect(input).toEqual(frozen);
    expect(result.resource).toEqual(after);
    expect(result.members).toEqual(members);
  });

  it('uses the id carried by the resource when no resourceId is given', () => {
    const result = patched(
      group({ id: GROUP_ID }),
      patch({ op: 'replace', value: { id: GROUP_ID, displayName: 'X' } }),
      GROUP_RESOURCE,
    );
    expect(result.resource['displayName']).toBe('X');
  });

  it.each<[string, unknown, string, RegExp]>([
    [
      'a member value that is a number',
      patch({ op: 'add', path: 'members', value: [{ value: 7 }] }),
      'invalidValue',
      /member/,
    ],
    [
      'a member without value',
      patch({ op: 'add', path: 'members', value: [{ display: 'x' }] }),
      'invalidValue',
      /member/,
    ],
    [
      'a members filter on display',
      patch({ op: 'remove', path: 'members[display eq "x"]' }),
      'invalidFilter',
      /value eq/,
    ],
    [
      'replace with a members filter',
      patch({ op: 'replace', path: 'members[value eq "x"]', value: {} }),
      'invalidPath',
      /members/,
    ],
    [
      'a members sub-attribute path',
      patch({ op: 'add', path: 'members.value', value: 'x' }),
      'invalidPath',
      /members/,
    ],
    [
      'a different id in a path-less value',
      patch({ op: 'replace', value: { id: 'other', displayName: 'x' } }),
      'mutability',
      /id/,
    ],
    [
      'an enterprise User path on a Group',
      patch({ op: 'add', path: `${ENTERPRISE}:department`, value: 'x' }),
      'invalidPath',
      /does not apply/,
    ],
    [
      'an enterprise User object on a Group',
      patch({ op: 'add', value: { [ENTERPRISE]: { department: 'x' } } }),
      'invalidPath',
      /does not apply/,
    ],
    ['removing displayName', patch({ op: 'remove', path: 'displayName' }), 'mutability', /displayName/],
    [
      'emptying displayName',
      patch({ op: 'replace', path: 'displayName', value: '' }),
      'mutability',
      /displayName/,
    ],
  ])('rejects %s', (_name, body, scimType, detail) => {
    const error = scimError(() => patched(group(), body, GROUP_RESOURCE, { resourceId: GROUP_ID }));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toMatch(detail);
  });
});

describe('applyPatch — immutable attributes', () => {
  const badge = {
    name: 'badge',
    type: 'string',
    multiValued: false,
    description: 'An immutable test attribute.',
    required: false,
    caseExact: false,
    mutability: 'immutable',
    returned: 'default',
    uniqueness: 'none',
  } as const;
  const definition = {
    ...USER_RESOURCE,
    coreSchema: { ...USER_RESOURCE.coreSchema, attributes: [...USER_RESOURCE.coreSchema.attributes, badge] },
  };

  it('can be added when absent', () => {
    const result = patched(user(), patch({ op: 'add', path: 'badge', value: 'B-1' }), definition);
    expect(result.resource['badge']).toBe('B-1');
  });

  it('accepts the same value again', () => {
    const result = patched(
      user({ badge: 'B-1' }),
      patch({ op: 'replace', value: { badge: 'B-1' } }),
      definition,
    );
    expect(result.changed).toBe(false);
  });

  it.each([
    ['changed', patch({ op: 'replace', path: 'badge', value: 'B-2' })],
    ['removed', patch({ op: 'remove', path: 'badge' })],
  ])('cannot be %s once set (400 mutability)', (_name, body) => {
    const error = scimError(() => patched(user({ badge: 'B-1' }), body, definition));
    expect(error.scimType).toBe('mutability');
  });
});

describe('applyPatch — errors', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['a body that is not an object', 'nope', 'invalidSyntax', /object/],
    [
      'a body without schemas',
      { Operations: [{ op: 'add', path: 'nickName', value: 'x' }] },
      'invalidSyntax',
      /schemas/,
    ],
    [
      'a body with the wrong schema',
      { schemas: [USER], Operations: [{ op: 'add', path: 'nickName', value: 'x' }] },
      'invalidSyntax',
      /PatchOp/,
    ],
    ['a body without Operations', { schemas: [PATCH_OP] }, 'invalidSyntax', /Operations/],
    ['empty Operations', { schemas: [PATCH_OP], Operations: [] }, 'invalidSyntax', /Operations/],
    ['an operation that is not an object', patch('add'), 'invalidSyntax', /Operation 1/],
    ['a bad op', patch({ op: 'merge', path: 'nickName', value: 'x' }), 'invalidSyntax', /"op"/],
    ['a missing op', patch({ path: 'nickName', value: 'x' }), 'invalidSyntax', /"op"/],
    ['add without value', patch({ op: 'add', path: 'nickName' }), 'invalidSyntax', /value/],
    ['a non-string path', patch({ op: 'add', path: 7, value: 'x' }), 'invalidPath', /path/],
    [
      'bad path syntax',
      patch({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }),
      'invalidPath',
      /path/,
    ],
    ['bad path syntax (garbage)', patch({ op: 'replace', path: 'a b c', value: 'x' }), 'invalidPath', /path/],
    [
      'an unknown attribute',
      patch({ op: 'replace', path: 'favouriteColour', value: 'x' }),
      'invalidPath',
      /favouriteColour/,
    ],
    [
      'an unknown sub-attribute',
      patch({ op: 'replace', path: 'name.nickname', value: 'x' }),
      'invalidPath',
      /name\.nickname/,
    ],
    [
      'an unknown attribute in a path-less value',
      patch({ op: 'add', value: { foo: 1 } }),
      'invalidPath',
      /foo/,
    ],
    [
      'an unknown enterprise attribute',
      patch({ op: 'add', path: `${ENTERPRISE}:shoeSize`, value: '4' }),
      'invalidPath',
      /shoeSize/,
    ],
    [
      'a filter on a single-valued attribute',
      patch({ op: 'replace', path: 'name[givenName eq "a"]', value: {} }),
      'invalidPath',
      /single-valued/,
    ],
    [
      'a path-less value that is not an object',
      patch({ op: 'replace', value: 'x' }),
      'invalidValue',
      /object/,
    ],
    [
      'a type mismatch (string for boolean)',
      patch({ op: 'replace', path: 'active', value: 'maybe' }),
      'invalidValue',
      /active/,
    ],
    [
      'a type mismatch (object for string)',
      patch({ op: 'replace', path: 'userName', value: { a: 1 } }),
      'invalidValue',
      /userName/,
    ],
    [
      'a type mismatch in a sub-attribute',
      patch({ op: 'replace', path: 'emails[type eq "work"].primary', value: 'x' }),
      'invalidValue',
      /primary/,
    ],
    [
      'a type mismatch in a path-less value',
      patch({ op: 'replace', value: { active: 3 } }),
      'invalidValue',
      /active/,
    ],
    ['a non-string password', patch({ op: 'replace', value: { password: 12 } }), 'invalidValue', /password/],
    ['replacing id', patch({ op: 'replace', path: 'id', value: 'x' }), 'mutability', /id/],
    [
      'replacing meta.lastModified',
      patch({ op: 'replace', path: 'meta.lastModified', value: '2020-01-01T00:00:00Z' }),
      'mutability',
      /meta/,
    ],
    ['adding groups', patch({ op: 'add', path: 'groups', value: [{ value: 'g' }] }), 'mutability', /groups/],
    [
      'adding groups path-less',
      patch({ op: 'add', value: { groups: [{ value: 'g' }] } }),
      'mutability',
      /groups/,
    ],
    [
      'setting manager.displayName',
      patch({ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'B' }),
      'mutability',
      /displayName/,
    ],
    ['removing userName', patch({ op: 'remove', path: 'userName' }), 'mutability', /userName/],
    [
      'unassigning userName with null',
      patch({ op: 'replace', path: 'userName', value: null }),
      'mutability',
      /userName/,
    ],
    [
      'unassigning userName path-less',
      patch({ op: 'replace', value: { userName: '' } }),
      'mutability',
      /userName/,
    ],
    ['remove without path', patch({ op: 'remove' }), 'noTarget', /path/],
    [
      'replace on a filter that cannot describe a new element',
      patch({ op: 'replace', path: 'emails[type ne "work"].value', value: 'x' }),
      'noTarget',
      /emails/,
    ],
    [
      'a Group schema path on a User',
      patch({ op: 'add', path: `${GROUP}:displayName`, value: 'x' }),
      'invalidPath',
      /does not apply/,
    ],
    [
      'members on a User',
      patch({ op: 'add', path: 'members', value: [{ value: 'u' }] }),
      'invalidPath',
      /members/,
    ],
  ])('rejects %s', (_name, body, scimType, detail) => {
    const input = user();
    const frozen = structuredClone(input);
    const error = scimError(() => patched(input, body, USER_RESOURCE));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.detail).toMatch(detail);
    expect(input).toEqual(frozen);
  });

  it('is atomic: when the second operation fails the first one is not visible and the call throws', () => {
    const input = user();
    const frozen = structuredClone(input);
    const body = patch(
      { op: 'replace', path: 'active', value: false },
      { op: 'add', path: 'emails', value: [{ value: 'new@x.com', primary: true }] },
      { op: 'replace', path: 'nickName', value: 42 },
    );
    expect(() => patched(input, body, USER_RESOURCE)).toThrow(ScimException);
    expect(input).toEqual(frozen);
  });

  it('never returns the input object itself', () => {
    const input = user();
    const result = patched(input, patch({ op: 'replace', path: 'active', value: true }), USER_RESOURCE);
    expect(result.resource).not.toBe(input);
    expect(result.resource['emails']).not.toBe(input['emails']);
  });
});

describe('applyPatch — limits and linear work', () => {
  const emails = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ value: `u${from + i}@x.com`, type: 'work' }));
  const attributes = (n: number, prefix = 'x') =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));

  it('takes MAX_PATCH_OPERATIONS operations and refuses one more before applying any', () => {
    const ops = (n: number) =>
      patch(...Array.from({ length: n }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` })));
    expect(patched(user(), ops(MAX_PATCH_OPERATIONS), USER_RESOURCE).resource['title']).toBe('t999');
    const error = scimError(() => parsePatchBody(ops(MAX_PATCH_OPERATIONS + 1)));
    expect(error).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      detail: 'The PATCH request has 1001 operations; the limit is 1000 operations per request.',
    });
  });

  it.each<[string, ScimResource, unknown]>([
    ['an add', user({ emails: emails(999) }), patch({ op: 'add', path: 'emails', value: emails(2, 999) })],
    [
      'a filtered add that creates a value',
      user({ emails: emails(1000) }),
      patch({ op: 'add', path: 'emails[type eq "home"].value', value: 'home@x.com' }),
    ],
    ['a replace', user(), patch({ op: 'replace', value: { emails: emails(1001) } })],
  ])('refuses %s that would leave more than MAX_VALUES_PER_ATTRIBUTE values', (_name, input, body) => {
    const error = scimError(() => patched(input, body, USER_RESOURCE));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toMatch(/'emails' would have 1001 values; the limit is 1000 values per attribute/);
  });

  it('keeps values distinct across operations, comparing them by structure', () => {
    const oneByOne = emails(MAX_VALUES_PER_ATTRIBUTE - 1).map((e) => ({
      op: 'add',
      path: 'emails',
      value: e,
    }));
    const again = { Type: 'work', VALUE: 'u0@x.com' };
    const fits = patch(...oneByOne, { op: 'add', path: 'emails', value: [again, { value: 'new@x.com' }] });
    expect(patched(user({ emails: [] }), fits, USER_RESOURCE).resource['emails']).toEqual([
      ...emails(MAX_VALUES_PER_ATTRIBUTE - 1),
      { value: 'new@x.com' },
    ]);
    const over = patch(...oneByOne, {
      op: 'add',
      path: 'emails',
      value: [again, { value: 'new@x.com' }, { value: 'new@x.com', type: 'home' }],
    });
    expect(scimError(() => patched(user({ emails: [] }), over, USER_RESOURCE)).detail).toMatch(
      /'emails' would have 1001 values/,
    );
  });

  it('removes a listed set of values from many in one pass, by equality or by value', () => {
    const before = user({ emails: emails(1000) });
    const listed = [
      ...emails(400).map((e) => ({ type: e.type, value: e.value })),
      ...emails(100, 400).map((e) => ({ value: e.value })),
      'u500@x.com',
      { value: 'nobody@x.com' },
    ];
    const result = patched(before, patch({ op: 'remove', path: 'emails', value: listed }), USER_RESOURCE);
    expect(result.resource['emails']).toEqual(emails(499, 501));
  });

  it('removes listed values as before: whole values, or complex values by their value', () => {
    const before = user({
      emails: [
        { value: 'a@x.com', type: 'work' },
        { value: 'b@x.com', type: 'home' },
        { type: 'other', display: 'no value' },
        { type: 'other', display: 'kept' },
        { value: 'c@x.com' },
      ],
    });
    const listed = ['a@x.com', { value: 'b@x.com', type: 'work' }, { display: 'no value', type: 'other' }];
    const result = patched(before, patch({ op: 'remove', path: 'emails', value: listed }), USER_RESOURCE);
    expect(result.resource['emails']).toEqual([{ type: 'other', display: 'kept' }, { value: 'c@x.com' }]);
  });

  it('applies a thousand filtered operations to a thousand values', () => {
    const body = patch(
      ...Array.from({ length: 1000 }, (_, i) => ({
        op: 'replace',
        path: `emails[value eq "U${i}@X.COM"].display`,
        value: `d${i}`,
      })),
    );
    const result = patched(user({ emails: emails(1000) }), body, USER_RESOURCE);
    expect(result.resource['emails']).toEqual(emails(1000).map((e, i) => ({ ...e, display: `d${i}` })));
  });

  it('counts the group members of all operations against MAX_MEMBERS_PER_REQUEST', () => {
    const ids = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));
    const half = MAX_MEMBERS_PER_REQUEST / 2;
    const ok = patch(
      { op: 'add', path: 'members', value: ids(half, 'a') },
      { op: 'remove', path: 'members', value: ids(half - 1, 'b') },
      { op: 'remove', path: 'members[value eq "c"]' },
    );
    expect(patched(group(), ok, GROUP_RESOURCE).members?.add).toHaveLength(half);
    const over = patch(
      { op: 'add', path: 'members', value: ids(half, 'a') },
      { op: 'remove', path: 'members', value: ids(half, 'b') },
      { op: 'remove', path: 'members[value eq "c"]' },
    );
    const error = scimError(() => patched(group(), over, GROUP_RESOURCE));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toBe(
      'The request names more than 50000 group members; the limit is 50000 members per request.',
    );
  });

  it.each<[string, ScimResource, unknown, RegExp]>([
    [
      'a path-less value',
      user(),
      patch({ op: 'add', value: attributes(MAX_ATTRIBUTES_PER_OBJECT + 1) }),
      /Operation 1: the value has 1001 attributes/,
    ],
    [
      'the value of an unknown extension',
      user(),
      patch({ op: 'add', path: 'urn:acme:2.0:User', value: attributes(MAX_ATTRIBUTES_PER_OBJECT + 1) }),
      /the value of 'urn:acme:2.0:User' has 1001 attributes/,
    ],
    [
      'an unknown extension grown by several operations',
      user(),
      patch(
        { op: 'add', path: 'urn:acme:2.0:User', value: attributes(600, 'a') },
        { op: 'add', path: 'urn:acme:2.0:User', value: attributes(401, 'b') },
      ),
      /Extension 'urn:acme:2.0:User' has 1001 attributes/,
    ],
    [
      'a complex value grown by a merge',
      user({ name: attributes(999) }),
      patch({ op: 'add', path: 'name', value: { givenName: 'A', familyName: 'B' } }),
      /Attribute 'name' has 1001 attributes/,
    ],
  ])('refuses more than MAX_ATTRIBUTES_PER_OBJECT attributes in %s', (_name, input, body, detail) => {
    const error = scimError(() => patched(input, body, USER_RESOURCE));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toMatch(detail);
    expect(error.detail).toMatch(/the limit is 1000 attributes per object/);
  });

  it('counts the schemas unknown extensions add against MAX_VALUES_PER_ATTRIBUTE', () => {
    const urns = Array.from({ length: MAX_VALUES_PER_ATTRIBUTE }, (_, i) => `urn:acme:${i}:User`);
    const ops = patch(...urns.map((urn) => ({ op: 'add', path: `${urn}:badge`, value: 'b' })));
    expect(scimError(() => patched(user(), ops, USER_RESOURCE)).detail).toMatch(
      /'schemas' would have 1001 values; the limit is 1000/,
    );
  });

  it('edits its working copy in place yet never the input, across many operations', () => {
    const input = user({ emails: emails(3), name: { givenName: 'A', Nick: 'n' } });
    const frozen = structuredClone(input);
    const result = patched(
      input,
      patch(
        { op: 'add', path: 'emails[type eq "work"]', value: { display: 'd' } },
        { op: 'replace', path: 'name', value: { givenName: 'B' } },
        { op: 'remove', path: 'emails[value eq "u1@x.com"].display' },
        { op: 'replace', path: 'emails[value eq "u2@x.com"].primary', value: true },
        { op: 'add', path: 'emails', value: { value: 'u0@x.com', type: 'work', display: 'd' } },
      ),
      USER_RESOURCE,
    );
    expect(input).toEqual(frozen);
    expect(result.resource['name']).toEqual({ givenName: 'B', Nick: 'n' });
    expect(result.resource['emails']).toEqual([
      { value: 'u0@x.com', type: 'work', display: 'd' },
      { value: 'u1@x.com', type: 'work' },
      { value: 'u2@x.com', type: 'work', display: 'd', primary: true },
    ]);
  });
});
