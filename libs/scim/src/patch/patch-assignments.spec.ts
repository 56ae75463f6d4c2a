import { isPlainObject, type JsonObject, type ScimResource } from '../resource';
import { SCIM_SCHEMAS, USER_RESOURCE } from '../schema';
import { applyPatch, parsePatchBody } from './apply-patch';
import { patchAssignments } from './patch-assignments';

const USER = SCIM_SCHEMAS.user;
const ENTERPRISE = SCIM_SCHEMAS.enterpriseUser;

const operations = (...ops: unknown[]) =>
  parsePatchBody({ schemas: [SCIM_SCHEMAS.patchOp], Operations: ops });

/** What the database does with the assignments: top-level values replace, objects merge one level down. */
function merged(resource: ScimResource, assignments: JsonObject): ScimResource {
  const out: ScimResource = { ...resource };
  for (const [key, value] of Object.entries(assignments)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? { ...current, ...value } : value;
  }
  return out;
}

const STORED: ScimResource[] = [
  { schemas: [USER], userName: 'ann@example.com', active: true },
  {
    schemas: [USER, ENTERPRISE],
    userName: 'bob@example.com',
    active: false,
    title: 'Old',
    name: { givenName: 'Bob', familyName: 'Smith', x: 1 },
    emails: [{ value: 'bob@example.com', primary: true }],
    [ENTERPRISE]: { department: 'Sales' },
  },
];

describe(patchAssignments.name, () => {
  it.each([
    ['Okta deactivation', [{ op: 'replace', value: { active: false } }], { active: false }],
    ['Entra "False"', [{ op: 'Replace', path: 'active', value: 'False' }], { active: false }],
    [
      'a sub-attribute',
      [{ op: 'replace', path: 'name.givenName', value: 'Zoë' }],
      { name: { givenName: 'Zoë' } },
    ],
    ['add of a simple attribute', [{ op: 'add', path: 'TITLE', value: 'New' }], { title: 'New' }],
    [
      'several operations, the last one winning',
      [
        { op: 'replace', value: { userName: 'a@example.com', displayName: 'A', schemas: [USER] } },
        { op: 'replace', path: 'name.familyName', value: 'F' },
        { op: 'replace', path: 'displayName', value: 'B' },
      ],
      { userName: 'a@example.com', displayName: 'B', name: { familyName: 'F' } },
    ],
    ['externalId', [{ op: 'replace', path: 'externalId', value: 'x-1' }], { externalId: 'x-1' }],
    [
      'one-element arrays, and one name in two casings',
      [
        { op: 'replace', path: 'name.middleName', value: ['M'] },
        { op: 'replace', value: { active: [true], Active: 'false' } },
      ],
      { name: { middleName: 'M' }, active: false },
    ],
  ])('gives what %s assigns, as applyPatch applies it', (_, ops, expected) => {
    const parsed = operations(...ops);
    const assignments = patchAssignments(parsed, USER_RESOURCE);
    expect(assignments).toEqual(expected);
    for (const stored of STORED) {
      expect(merged(stored, assignments!)).toEqual(applyPatch(stored, parsed, USER_RESOURCE).resource);
    }
  });

  it.each([
    ['a remove', [{ op: 'remove', path: 'title' }]],
    ['a null value', [{ op: 'replace', path: 'title', value: null }]],
    ['an empty value', [{ op: 'replace', value: { displayName: '' } }]],
    ['a blank userName', [{ op: 'replace', path: 'userName', value: '  ' }]],
    ['a multi-valued attribute', [{ op: 'add', path: 'emails', value: [{ value: 'x@example.com' }] }]],
    ['a value filter', [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'x@example.com' }]],
    ['a whole complex attribute', [{ op: 'replace', path: 'name', value: { givenName: 'X' } }]],
    ['a complex attribute without a path', [{ op: 'replace', value: { name: { givenName: 'X' } } }]],
    ['a readOnly attribute', [{ op: 'replace', value: { id: 'abc', active: false } }]],
    ['the password', [{ op: 'replace', path: 'password', value: 'secret' }]],
    ['an extension attribute', [{ op: 'replace', path: `${ENTERPRISE}:department`, value: 'R&D' }]],
    ['an unqualified extension attribute', [{ op: 'replace', path: 'manager', value: 'boss' }]],
    ['a URN-qualified core attribute', [{ op: 'replace', path: `${USER}:active`, value: false }]],
    ['an unknown attribute', [{ op: 'replace', value: { custom: 1 } }]],
    ['a value of the wrong type', [{ op: 'replace', path: 'active', value: 'maybe' }]],
    ['a path that does not parse', [{ op: 'replace', path: 'name..givenName', value: 'X' }]],
    [
      'one such operation among assignments',
      [
        { op: 'replace', value: { active: false } },
        { op: 'remove', path: 'title' },
      ],
    ],
    ['nothing but schemas', [{ op: 'replace', value: { schemas: [USER] } }]],
  ])('is undefined for %s', (_, ops) => {
    expect(patchAssignments(operations(...ops), USER_RESOURCE)).toBeUndefined();
  });
});
