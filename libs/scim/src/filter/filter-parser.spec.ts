import { ScimException } from '../scim.exception';
import type { FilterNode } from './filter-ast';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS } from '../scim-limits';
import { parseFilter, parsePath } from './filter-parser';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const eq = (path: string, value: string | number | boolean | null): FilterNode => ({
  kind: 'compare',
  path,
  op: 'eq',
  value,
});

function scimError(fn: () => unknown): ScimException {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimException) return error;
    throw error;
  }
  throw new Error('expected a ScimException');
}

describe('parseFilter', () => {
  it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const)('parses the %s operator', (op) => {
    expect(parseFilter(`title ${op} "x"`)).toEqual({ kind: 'compare', path: 'title', op, value: 'x' });
    expect(parseFilter(`title ${op.toUpperCase()} "x"`)).toEqual({
      kind: 'compare',
      path: 'title',
      op,
      value: 'x',
    });
  });

  it.each<[string, FilterNode]>([
    ['title pr', { kind: 'present', path: 'title' }],
    ['title PR', { kind: 'present', path: 'title' }],
    ['active eq true', eq('active', true)],
    ['active eq False', eq('active', false)],
    ['active eq TRUE', eq('active', true)],
    ['title eq null', eq('title', null)],
    ['n eq 42', eq('n', 42)],
    ['n eq -1.5e3', eq('n', -1500)],
    ['n eq 0', eq('n', 0)],
    ['userName eq ""', eq('userName', '')],
    ['userName eq "a\\\\b"', eq('userName', 'a\\b')],
    ['userName eq "a\\\\"', eq('userName', 'a\\')],
    ['userName eq "say \\"hi\\""', eq('userName', 'say "hi"')],
    ['userName eq "\\u00e9\\n\\t\\/"', eq('userName', 'é\n\t/')],
    ['userName eq "x\' OR 1=1 --"', eq('userName', "x' OR 1=1 --")],
    ['userName eq "and or not ( ) [ ]"', eq('userName', 'and or not ( ) [ ]')],
    ['name.givenName eq "J"', eq('name.givenName', 'J')],
    ['members.$ref pr', { kind: 'present', path: 'members.$ref' }],
    [`${ENT}:department eq "Sales"`, eq(`${ENT}:department`, 'Sales')],
    [`${ENT}:manager.value eq "m"`, eq(`${ENT}:manager.value`, 'm')],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"',
      eq('urn:ietf:params:scim:schemas:core:2.0:User:userName', 'a'),
    ],
    ['  userName   eq\t"a"  ', eq('userName', 'a')],
    ['(userName eq "a")', eq('userName', 'a')],
    ['((userName eq "a"))', eq('userName', 'a')],
  ])('parses %s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each<[string, FilterNode]>([
    [
      'a eq 1 or b eq 2 and c eq 3',
      { kind: 'or', filters: [eq('a', 1), { kind: 'and', filters: [eq('b', 2), eq('c', 3)] }] },
    ],
    [
      'a eq 1 and b eq 2 or c eq 3',
      { kind: 'or', filters: [{ kind: 'and', filters: [eq('a', 1), eq('b', 2)] }, eq('c', 3)] },
    ],
    ['a eq 1 AND b eq 2 And c eq 3', { kind: 'and', filters: [eq('a', 1), eq('b', 2), eq('c', 3)] }],
    ['a eq 1 or b eq 2 OR c eq 3', { kind: 'or', filters: [eq('a', 1), eq('b', 2), eq('c', 3)] }],
    [
      '(a eq 1 or b eq 2) and c eq 3',
      { kind: 'and', filters: [{ kind: 'or', filters: [eq('a', 1), eq('b', 2)] }, eq('c', 3)] },
    ],
    ['not (a eq 1) and b eq 2', { kind: 'and', filters: [{ kind: 'not', filter: eq('a', 1) }, eq('b', 2)] }],
    ['NOT (a eq 1 or b eq 2)', { kind: 'not', filter: { kind: 'or', filters: [eq('a', 1), eq('b', 2)] } }],
    ['not a eq 1 or b eq 2', { kind: 'or', filters: [{ kind: 'not', filter: eq('a', 1) }, eq('b', 2)] }],
    ['not not (a pr)', { kind: 'not', filter: { kind: 'not', filter: { kind: 'present', path: 'a' } } }],
    ['not pr', { kind: 'present', path: 'not' }],
    [
      'a eq 1 and (b eq 2 or (c eq 3 and d eq 4))',
      {
        kind: 'and',
        filters: [
          eq('a', 1),
          { kind: 'or', filters: [eq('b', 2), { kind: 'and', filters: [eq('c', 3), eq('d', 4)] }] },
        ],
      },
    ],
  ])('respects precedence and grouping: %s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each<[string, FilterNode]>([
    ['emails[type eq "work"]', { kind: 'valuePath', path: 'emails', filter: eq('type', 'work') }],
    [
      'emails[type eq "work" and value co "@example.com"]',
      {
        kind: 'valuePath',
        path: 'emails',
        filter: {
          kind: 'and',
          filters: [eq('type', 'work'), { kind: 'compare', path: 'value', op: 'co', value: '@example.com' }],
        },
      },
    ],
    [
      'emails[not (type eq "work")]',
      { kind: 'valuePath', path: 'emails', filter: { kind: 'not', filter: eq('type', 'work') } },
    ],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]',
      {
        kind: 'or',
        filters: [
          {
            kind: 'and',
            filters: [
              eq('userType', 'Employee'),
              {
                kind: 'valuePath',
                path: 'emails',
                filter: {
                  kind: 'and',
                  filters: [
                    eq('type', 'work'),
                    { kind: 'compare', path: 'value', op: 'co', value: '@example.com' },
                  ],
                },
              },
            ],
          },
          { kind: 'valuePath', path: 'ims', filter: eq('type', 'xmpp') },
        ],
      },
    ],
    [`${ENT}:manager[value eq "x"]`, { kind: 'valuePath', path: `${ENT}:manager`, filter: eq('value', 'x') }],
  ])('parses value path %s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each<[string, FilterNode]>([
    [
      'emails[type eq "work"].value eq "ann@example.com"',
      {
        kind: 'valuePath',
        path: 'emails',
        filter: { kind: 'and', filters: [eq('type', 'work'), eq('value', 'ann@example.com')] },
      },
    ],
    [
      'addresses[type eq "work"].postalCode sw "9"',
      {
        kind: 'valuePath',
        path: 'addresses',
        filter: {
          kind: 'and',
          filters: [eq('type', 'work'), { kind: 'compare', path: 'postalCode', op: 'sw', value: '9' }],
        },
      },
    ],
    [
      'EMAILS[TYPE EQ "work" or primary eq true].Value PR',
      {
        kind: 'valuePath',
        path: 'EMAILS',
        filter: {
          kind: 'and',
          filters: [
            { kind: 'or', filters: [eq('TYPE', 'work'), eq('primary', true)] },
            { kind: 'present', path: 'Value' },
          ],
        },
      },
    ],
    [
      'emails[type eq "work" and primary eq true].value ne "x"',
      {
        kind: 'valuePath',
        path: 'emails',
        filter: {
          kind: 'and',
          filters: [
            eq('type', 'work'),
            eq('primary', true),
            { kind: 'compare', path: 'value', op: 'ne', value: 'x' },
          ],
        },
      },
    ],
    [
      'not (emails[type eq "work"].value eq "a") and userName pr',
      {
        kind: 'and',
        filters: [
          {
            kind: 'not',
            filter: {
              kind: 'valuePath',
              path: 'emails',
              filter: { kind: 'and', filters: [eq('type', 'work'), eq('value', 'a')] },
            },
          },
          { kind: 'present', path: 'userName' },
        ],
      },
    ],
    [
      `${ENT}:manager[value eq "x"].displayName co "Bo"`,
      {
        kind: 'valuePath',
        path: `${ENT}:manager`,
        filter: {
          kind: 'and',
          filters: [eq('value', 'x'), { kind: 'compare', path: 'displayName', op: 'co', value: 'Bo' }],
        },
      },
    ],
  ])('parses a sub-attribute of a value path: %s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['emails[type eq "work"].', /Invalid sub-attribute '\.' after the value filter of 'emails'/],
    ['emails[type eq "work"].value', /Expected an operator after '\.value' but found end of input/],
    ['emails[type eq "work"].value.x eq "a"', /Invalid sub-attribute '\.value\.x'/],
    ['emails[type eq "work"].value[type eq "x"] eq "a"', /Value paths cannot be nested/],
    ['emails[type eq "work"] .value eq "a"', /Unexpected '\.value'/],
    ['emails.value[type eq "x"]', /not to the sub-attribute 'emails\.value'/],
    ['emails[type eq "work"].value eq', /Expected a comparison value/],
    ['emails[value[type eq "x"].value eq "a"]', /Value paths cannot be nested/],
  ])('rejects %j with a clear detail', (text, detail) => {
    const error = scimError(() => parseFilter(text));
    expect([error.status, error.scimType]).toEqual([400, 'invalidFilter']);
    expect(error.detail).toMatch(detail);
  });

  it.each([
    '',
    '   ',
    'userName',
    'userName eq',
    'userName eq "a',
    'userName eq a',
    "userName eq 'a'",
    'userName xx "a"',
    'userName eq "a" and',
    'userName eq "a" or',
    'and userName eq "a"',
    'userName eq "a" "b"',
    '(userName eq "a"',
    'userName eq "a")',
    '()',
    'not',
    'not ()',
    'emails[type eq "work"',
    'emails type eq "work"]',
    'emails[]',
    'emails[type eq "work"].value',
    'emails[type[value eq "x"] eq "y"]',
    'name.givenName[x eq "y"]',
    '1abc eq "x"',
    '_abc eq "x"',
    'a..b eq "x"',
    'a.b.c eq "x"',
    'a/b eq "x"',
    'userName eq "\\x"',
    'userName eq "tab\there"',
    'userName eq 01',
    'userName eq 1.',
    'userName eq +1',
    'userName eq "a" & x pr',
    'userName eq "a"; DROP TABLE users',
    'userName pr pr',
    'userName eq "a" and or b pr',
  ])('rejects %j with invalidFilter', (text) => {
    const error = scimError(() => parseFilter(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
  });

  it('rejects a non-string filter', () => {
    expect(scimError(() => parseFilter(undefined as unknown as string)).scimType).toBe('invalidFilter');
  });

  it('reports the position of a syntax error', () => {
    expect(scimError(() => parseFilter('userName eq "a" xx')).detail).toMatch(/position 17/);
  });

  it('limits length and depth', () => {
    const long = `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`;
    expect(scimError(() => parseFilter(long)).detail).toMatch(/the limit is 4096 characters/);
    const ok = `${'('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(parseFilter(ok)).toEqual({ kind: 'present', path: 'a' });
    const deep = `${'('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    expect(scimError(() => parseFilter(deep)).detail).toMatch(/deeper than 50/);
    const nots = `${'not ('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(scimError(() => parseFilter(nots)).scimType).toBe('invalidFilter');
  });

  it('limits the number of comparisons and presence tests', () => {
    const terms = (n: number): string => Array.from({ length: n }, (_, i) => `a${i} eq ${i}`).join(' or ');
    expect(parseFilter(terms(MAX_FILTER_TERMS))).toMatchObject({ kind: 'or' });
    const error = scimError(() => parseFilter(terms(MAX_FILTER_TERMS + 1)));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toMatch(/More than 100 comparisons \(the limit is 100\)/);
    const inValuePaths = Array.from({ length: 51 }, () => 'emails[type pr and value pr]').join(' or ');
    expect(scimError(() => parseFilter(inValuePaths)).detail).toMatch(/the limit is 100/);
  });

  it('reads a filter at the length limit in one pass, whatever its shape', () => {
    // Long words, long strings and many short terms are each tokenised once.
    const word = `urn:${'a:'.repeat((MAX_FILTER_LENGTH - 10) / 2)}x pr`;
    expect(parseFilter(word)).toEqual({ kind: 'present', path: word.slice(0, -3) });
    const escapes = `x eq "${'\\"'.repeat((MAX_FILTER_LENGTH - 10) / 2)}"`;
    expect(parseFilter(escapes)).toMatchObject({
      kind: 'compare',
      value: '"'.repeat((MAX_FILTER_LENGTH - 10) / 2),
    });
  });

  it('reports the length limit for a PATCH path with invalidPath', () => {
    const error = scimError(() => parsePath(`a${'b'.repeat(MAX_FILTER_LENGTH)}`));
    expect(error.scimType).toBe('invalidPath');
    expect(error.detail).toMatch(/has 4097 characters; the limit is 4096 characters/);
  });
});

describe('parsePath', () => {
  it.each<[string, ReturnType<typeof parsePath>]>([
    ['userName', { attrPath: 'userName' }],
    ['name.givenName', { attrPath: 'name.givenName' }],
    [`${ENT}:manager.value`, { attrPath: `${ENT}:manager.value` }],
    ['members.$ref', { attrPath: 'members.$ref' }],
    ['members[value eq "2819c223"]', { attrPath: 'members', valueFilter: eq('value', '2819c223') }],
    [
      'emails[type eq "work"].value',
      { attrPath: 'emails', valueFilter: eq('type', 'work'), subAttr: 'value' },
    ],
    [
      'emails[type eq "work" and primary eq true].display',
      {
        attrPath: 'emails',
        valueFilter: { kind: 'and', filters: [eq('type', 'work'), eq('primary', true)] },
        subAttr: 'display',
      },
    ],
    [
      'addresses[type eq "work"].streetAddress',
      { attrPath: 'addresses', valueFilter: eq('type', 'work'), subAttr: 'streetAddress' },
    ],
    [
      `${ENT}:manager[value eq "x"].displayName`,
      { attrPath: `${ENT}:manager`, valueFilter: eq('value', 'x'), subAttr: 'displayName' },
    ],
  ])('parses %s', (text, expected) => {
    expect(parsePath(text)).toEqual(expected);
  });

  it.each([
    '',
    'emails[',
    'emails[type eq "work"',
    'emails[type eq "work"]value',
    'emails[type eq "work"].',
    'emails[type eq "work"].value.x',
    'emails[type eq "work"] .value extra',
    'emails[type eq "work"][value eq "x"]',
    'name.givenName[x eq "y"]',
    'userName eq "x"',
    '1abc',
  ])('rejects %j with invalidPath', (text) => {
    const error = scimError(() => parsePath(text));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidPath');
  });
});
