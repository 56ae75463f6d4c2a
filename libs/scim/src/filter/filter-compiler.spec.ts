import { ScimException } from '../scim.exception';
import { compileFilter, compileSort, escapeLike, type FilterTarget } from './filter-compiler';
import {
  GROUP_FILTER_TARGET,
  groupFilterTarget,
  USER_FILTER_TARGET,
  userFilterTarget,
} from './filter-targets';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const UUID = '2819c223-7f76-453a-919d-413861904646';
const UUID2 = '902c246b-6245-4190-8e05-00816be7344a';
const EMAILS = `jsonb_array_elements(CASE WHEN jsonb_typeof(u.resource->'emails') = 'array' THEN u.resource->'emails' ELSE '[]'::jsonb END) e1`;
const EMPTY = `('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;
const MEMBERS = 'EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.tenant_id = g.tenant_id';

/** Compiles with one parameter already pushed by the caller, and returns the SQL and the new parameters. */
function compile(filter: string, target: FilterTarget = USER_FILTER_TARGET): [string, unknown[]] {
  const params: unknown[] = ['tenant'];
  const sql = compileFilter(filter, target, params);
  expect(params[0]).toBe('tenant');
  return [sql, params.slice(1)];
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

describe('compileFilter on scim_users', () => {
  it.each<[string, string, unknown[]]>([
    ['userName eq "a"', 'lower(u.user_name) = lower($2::text)', ['a']],
    ['USERNAME EQ "a"', 'lower(u.user_name) = lower($2::text)', ['a']],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"',
      'lower(u.user_name) = lower($2::text)',
      ['a'],
    ],
    ['userName ne "a"', 'lower(u.user_name) IS DISTINCT FROM lower($2::text)', ['a']],
    [
      'userName co "50%_off\\\\"',
      `lower(u.user_name) LIKE lower($2::text) ESCAPE '\\'`,
      ['%50\\%\\_off\\\\%'],
    ],
    ['userName sw "a"', `lower(u.user_name) LIKE lower($2::text) ESCAPE '\\'`, ['a%']],
    ['userName ew "a"', `lower(u.user_name) LIKE lower($2::text) ESCAPE '\\'`, ['%a']],
    ['userName gt "a"', 'lower(u.user_name) > lower($2::text)', ['a']],
    ['userName ge "a"', 'lower(u.user_name) >= lower($2::text)', ['a']],
    ['userName lt "a"', 'lower(u.user_name) < lower($2::text)', ['a']],
    ['userName le "a"', 'lower(u.user_name) <= lower($2::text)', ['a']],
    ['userName pr', "(u.user_name IS NOT NULL AND u.user_name <> '')", []],
    ['userName eq 42', 'lower(u.user_name) = lower($2::text)', ['42']],
    ['externalId eq "A"', 'u.external_id = $2::text', ['A']],
    ['externalId co "A"', `u.external_id LIKE $2::text ESCAPE '\\'`, ['%A%']],
    ['displayName eq "A"', 'lower(u.display_name) = lower($2::text)', ['A']],
    ['nickName eq "a"', "lower(u.resource->>'nickName') = lower($2::text)", ['a']],
    ['nickName pr', `COALESCE(u.resource->'nickName' NOT IN ${EMPTY}, FALSE)`, []],
    ['name.givenName eq "a"', "lower(u.resource->'name'->>'givenName') = lower($2::text)", ['a']],
    [
      'NAME.GIVENNAME ne "a"',
      "lower(u.resource->'name'->>'givenName') IS DISTINCT FROM lower($2::text)",
      ['a'],
    ],
    ['name pr', `COALESCE(u.resource->'name' NOT IN ${EMPTY}, FALSE)`, []],
    [`${ENT}:department eq "a"`, `lower(u.resource->'${ENT}'->>'department') = lower($2::text)`, ['a']],
    [
      `${ENT}:manager.value eq "a"`,
      `lower(u.resource->'${ENT}'->'manager'->>'value') = lower($2::text)`,
      ['a'],
    ],
    [
      `${ENT}:manager[value eq "a"]`,
      `lower(u.resource->'${ENT}'->'manager'->>'value') = lower($2::text)`,
      ['a'],
    ],
    ['active eq true', 'u.active = $2::boolean', [true]],
    ['active eq "True"', 'u.active = $2::boolean', [true]],
    ['active ne "False"', 'u.active IS DISTINCT FROM $2::boolean', [false]],
    ['active pr', 'u.active IS NOT NULL', []],
    [
      'meta.created ge "2020-01-01T00:00:00.000+02:00"',
      'u.created_at >= $2::timestamptz',
      ['2020-01-01T00:00:00.000+02:00'],
    ],
    [
      'meta.lastModified ne "2020-01-01"',
      `(u.updated_at >= $2::timestamptz AND u.updated_at < date_trunc('milliseconds', $2::timestamptz) + interval '1 millisecond') IS NOT TRUE`,
      ['2020-01-01'],
    ],
    [
      'meta.created eq "2020-01-01T00:00:00.123Z"',
      `(u.created_at >= $2::timestamptz AND u.created_at < date_trunc('milliseconds', $2::timestamptz) + interval '1 millisecond')`,
      ['2020-01-01T00:00:00.123Z'],
    ],
    [
      'meta.created le "2020-01-01T00:00:00.123Z"',
      `u.created_at < date_trunc('milliseconds', $2::timestamptz) + interval '1 millisecond'`,
      ['2020-01-01T00:00:00.123Z'],
    ],
    [
      'meta.lastModified lt "2020-01-01T10:00:00Z"',
      'u.updated_at < $2::timestamptz',
      ['2020-01-01T10:00:00Z'],
    ],
    [`id eq "${UUID}"`, 'u.id = $2::uuid', [UUID]],
    [`id ne "${UUID}"`, 'u.id IS DISTINCT FROM $2::uuid', [UUID]],
    ['id eq "x"', 'FALSE', []],
    ['id eq 7', 'FALSE', []],
    ['id ne "x"', 'TRUE', []],
    ['id sw "2819C"', `u.id::text LIKE $2::text ESCAPE '\\'`, ['2819c%']],
    [
      'emails[type eq "work"]',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'type') = lower($2::text))`,
      ['work'],
    ],
    [
      'emails[type eq "work" and value co "@example.com"]',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE (lower(e1->>'type') = lower($2::text) AND lower(e1->>'value') LIKE lower($3::text) ESCAPE '\\'))`,
      ['work', '%@example.com%'],
    ],
    [
      'emails.value co "x"',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'value') LIKE lower($2::text) ESCAPE '\\')`,
      ['%x%'],
    ],
    ['emails eq "a"', `EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'value') = lower($2::text))`, ['a']],
    [
      'emails ne "a"',
      `((EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'value') = lower($2::text))) IS NOT TRUE)`,
      ['a'],
    ],
    [
      'emails.primary eq "True"',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'primary') = $2::text)`,
      ['true'],
    ],
    [
      'emails.value pr',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE COALESCE(e1->'value' NOT IN ${EMPTY}, FALSE))`,
      [],
    ],
    ['emails pr', `COALESCE(u.resource->'emails' NOT IN ${EMPTY}, FALSE)`, []],
    ['title eq null', `((COALESCE(u.resource->'title' NOT IN ${EMPTY}, FALSE)) IS NOT TRUE)`, []],
    ['title ne null', `COALESCE(u.resource->'title' NOT IN ${EMPTY}, FALSE)`, []],
    [
      'not (userName eq "a") or active eq false',
      '(((lower(u.user_name) = lower($2::text)) IS NOT TRUE) OR u.active = $3::boolean)',
      ['a', false],
    ],
    [
      'userName eq "a" or userName eq "b" and active eq true',
      '(lower(u.user_name) = lower($2::text) OR (lower(u.user_name) = lower($3::text) AND u.active = $4::boolean))',
      ['a', 'b', true],
    ],
    [
      `groups eq "${UUID}"`,
      'EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.id AND m.tenant_id = u.tenant_id AND m.group_id = $2::uuid)',
      [UUID],
    ],
  ])('%s', (filter, sql, params) => {
    expect(compile(filter)).toEqual([sql, params]);
  });

  it.each<[string, string, unknown[]]>([
    [
      'emails[type eq "work"].value eq "ann@example.com"',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE (lower(e1->>'type') = lower($2::text) AND lower(e1->>'value') = lower($3::text)))`,
      ['work', 'ann@example.com'],
    ],
    [
      'emails[type eq "work"].value ne "a"',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE (lower(e1->>'type') = lower($2::text) AND lower(e1->>'value') IS DISTINCT FROM lower($3::text)))`,
      ['work', 'a'],
    ],
    [
      'emails[type eq "work"].value pr',
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE (lower(e1->>'type') = lower($2::text) AND COALESCE(e1->'value' NOT IN ${EMPTY}, FALSE)))`,
      ['work'],
    ],
    [
      'addresses[type eq "work"].postalCode sw "9"',
      `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.resource->'addresses') = 'array' THEN u.resource->'addresses' ELSE '[]'::jsonb END) e1 WHERE (lower(e1->>'type') = lower($2::text) AND lower(e1->>'postalCode') LIKE lower($3::text) ESCAPE '\\'))`,
      ['work', '9%'],
    ],
    [
      `${ENT}:manager[value eq "a"].displayName gt "B"`,
      `(lower(u.resource->'${ENT}'->'manager'->>'value') = lower($2::text) AND lower(u.resource->'${ENT}'->'manager'->>'displayName') > lower($3::text))`,
      ['a', 'B'],
    ],
  ])('a sub-attribute of a value path: %s', (filter, sql, params) => {
    expect(compile(filter)).toEqual([sql, params]);
  });

  it('numbers element aliases so that several value paths do not clash', () => {
    const [sql] = compile('emails[type eq "work"] and emails[type eq "home"]');
    expect(sql).toContain(') e1 WHERE');
    expect(sql).toContain(') e2 WHERE');
  });

  it('honours another alias', () => {
    expect(compileFilter('userName eq "a" and nickName pr', userFilterTarget('x'), [])).toBe(
      `(lower(x.user_name) = lower($1::text) AND COALESCE(x.resource->'nickName' NOT IN ${EMPTY}, FALSE))`,
    );
    expect(compileFilter(`members eq "${UUID}"`, groupFilterTarget('m'), [])).toBe(
      'EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = m.id AND gm.tenant_id = m.tenant_id AND gm.user_id = $1::uuid)',
    );
    expect(() => userFilterTarget('u; DROP')).toThrow();
  });

  it('lets a custom hook take over an attribute', () => {
    const target: FilterTarget = {
      ...USER_FILTER_TARGET,
      custom: (path, op, value, params) => {
        if (path !== 'meta.resourceType') return undefined;
        params.push(value);
        return `'User' = $${params.length}::text AND '${op}' = 'eq'`;
      },
    };
    expect(compileFilter('meta.resourceType eq "User"', target, [])).toBe(
      `'User' = $1::text AND 'eq' = 'eq'`,
    );
  });
});

describe('compileFilter on groups', () => {
  it.each<[string, string, unknown[]]>([
    ['displayName eq "Sales"', 'lower(g.name) = lower($2::text)', ['Sales']],
    ['externalId eq "x"', 'g.external_id = $2::text', ['x']],
    [`members eq "${UUID}"`, `${MEMBERS} AND m.user_id = $2::uuid)`, [UUID]],
    [`members.value eq "${UUID}"`, `${MEMBERS} AND m.user_id = $2::uuid)`, [UUID]],
    [`members[value eq "${UUID}"]`, `${MEMBERS} AND m.user_id = $2::uuid)`, [UUID]],
    [
      `members[value eq "${UUID}" or value eq "${UUID2}"]`,
      `${MEMBERS} AND (m.user_id = $2::uuid OR m.user_id = $3::uuid))`,
      [UUID, UUID2],
    ],
    ['members eq "bogus"', 'FALSE', []],
    ['members ne "bogus"', 'TRUE', []],
    [`members ne "${UUID}"`, `((${MEMBERS} AND m.user_id = $2::uuid)) IS NOT TRUE)`, [UUID]],
    ['members pr', `${MEMBERS})`, []],
    [
      `members[type eq "User"].value eq "${UUID}"`,
      `${MEMBERS} AND (lower('User'::text) = lower($2::text) AND m.user_id = $3::uuid))`,
      ['User', UUID],
    ],
    ['members[type eq "Group"]', `${MEMBERS} AND lower('User'::text) = lower($2::text))`, ['Group']],
    ['members.value pr', `${MEMBERS} AND m.user_id IS NOT NULL)`, []],
    [
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      `g.updated_at >= date_trunc('milliseconds', $2::timestamptz) + interval '1 millisecond'`,
      ['2011-05-13T04:42:34Z'],
    ],
  ])('%s', (filter, sql, params) => {
    expect(compile(filter, GROUP_FILTER_TARGET)).toEqual([sql, params]);
  });
});

describe('real IdP filters', () => {
  it.each<[string, string, FilterTarget, string, unknown[]]>([
    [
      'Okta user lookup',
      'userName eq "john@example.com"',
      USER_FILTER_TARGET,
      'lower(u.user_name) = lower($2::text)',
      ['john@example.com'],
    ],
    [
      'Okta externalId',
      'externalId eq "00u1abcdEFGH2345"',
      USER_FILTER_TARGET,
      'u.external_id = $2::text',
      ['00u1abcdEFGH2345'],
    ],
    [
      'Entra user lookup',
      'userName eq "ann@contoso.com"',
      USER_FILTER_TARGET,
      'lower(u.user_name) = lower($2::text)',
      ['ann@contoso.com'],
    ],
    [
      'Entra externalId',
      'externalId eq "5b3a6f2e-9d1c-4e8f-a7b6-0c1d2e3f4a5b"',
      USER_FILTER_TARGET,
      'u.external_id = $2::text',
      ['5b3a6f2e-9d1c-4e8f-a7b6-0c1d2e3f4a5b'],
    ],
    [
      'Entra group lookup',
      'displayName eq "Sales"',
      GROUP_FILTER_TARGET,
      'lower(g.name) = lower($2::text)',
      ['Sales'],
    ],
    [
      'Entra membership check',
      `id eq "${UUID2}" and members eq "${UUID}"`,
      GROUP_FILTER_TARGET,
      `(g.id = $2::uuid AND ${MEMBERS} AND m.user_id = $3::uuid))`,
      [UUID2, UUID],
    ],
    [
      'Okta member check',
      `members[value eq "${UUID}"]`,
      GROUP_FILTER_TARGET,
      `${MEMBERS} AND m.user_id = $2::uuid)`,
      [UUID],
    ],
    [
      'OneLogin work email',
      'emails[type eq "work"]',
      USER_FILTER_TARGET,
      `EXISTS (SELECT 1 FROM ${EMAILS} WHERE lower(e1->>'type') = lower($2::text))`,
      ['work'],
    ],
    [
      'incremental sync',
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      USER_FILTER_TARGET,
      `u.updated_at >= date_trunc('milliseconds', $2::timestamptz) + interval '1 millisecond'`,
      ['2011-05-13T04:42:34Z'],
    ],
  ])('%s: %s', (_name, filter, target, sql, params) => {
    expect(compile(filter, target)).toEqual([sql, params]);
  });
});

describe('injection', () => {
  it.each([
    [`userName eq "x' OR 1=1 --"`, 'x'],
    [`userName co "'; DROP TABLE scim_users; --"`, 'x'],
    [`name.givenName eq "x'); DELETE FROM groups; --"`, 'x'],
    [`${ENT}:department sw "\\u0027 OR '1'='1"`, 'x'],
    [`emails[value eq "') OR TRUE --"]`, 'x'],
    [`externalId eq "$1"`, 'x'],
  ])('keeps %s out of the SQL text', (filter, benign) => {
    const params: unknown[] = [];
    const sql = compileFilter(filter, USER_FILTER_TARGET, params);
    const benignFilter = filter.replace(/"(?:[^"\\]|\\.)*"/, `"${benign}"`);
    expect(sql).toBe(compileFilter(benignFilter, USER_FILTER_TARGET, []));
    expect(String(params[0])).toMatch(/'|\$1/);
    expect(params).toHaveLength(1);
    expect(sql).not.toMatch(/DROP|DELETE|OR 1=1|OR TRUE|'1'='1/);
  });

  it('rejects a date-time carrying SQL before it reaches the query', () => {
    const error = scimError(() =>
      compileFilter(`meta.lastModified gt "2011-05-13T04:42:34Z'; --"`, USER_FILTER_TARGET, []),
    );
    expect(error.scimType).toBe('invalidFilter');
  });
});

describe('compileFilter errors', () => {
  it.each([
    ['nope eq "x"', /nope/],
    ['name.nope eq "x"', /name\.nope/],
    [`${ENT}:nope eq "x"`, /nope/],
    ['department eq "x"', /department/],
    ['members eq "x"', /members/],
    ['emails[nope eq "x"]', /emails\.nope/],
    ['emails[name.givenName eq "x"]', /emails\.name\.givenName/],
    ['name eq "x"', /complex/],
    ['userName[value eq "x"]', /complex/],
    ['active gt true', /boolean/],
    ['active co "t"', /boolean/],
    ['active eq "yes"', /boolean/],
    ['active eq 1', /boolean/],
    ['userName eq true', /string/],
    ['meta.lastModified gt "yesterday"', /ISO 8601/],
    ['meta.lastModified gt "2011-13-45T99:00:00Z"', /ISO 8601/],
    ['meta.lastModified gt 5', /ISO 8601/],
    ['meta.created co "2011"', /dateTime/],
    ['userName gt null', /null/],
    ['userName eq "a" and', /Invalid filter/],
  ])('%s → invalidFilter', (filter, detail) => {
    const error = scimError(() => compileFilter(filter, USER_FILTER_TARGET, []));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toMatch(detail);
  });

  it('rejects members sub-attributes that are not stored', () => {
    expect(scimError(() => compileFilter('members[display eq "x"]', GROUP_FILTER_TARGET, [])).detail).toMatch(
      /members\.display/,
    );
    expect(scimError(() => compileFilter('members.display eq "x"', GROUP_FILTER_TARGET, [])).scimType).toBe(
      'invalidFilter',
    );
  });

  it.each([
    ['emails[type eq "work"].nope eq "x"', /Unknown attribute 'emails\.nope'/],
    ['emails[type eq "work"].givenName eq "x"', /Unknown attribute 'emails\.givenName'/],
    ['emails[type eq "work"].primary eq "x"', /boolean/],
    ['name[givenName eq "a"].nope pr', /Unknown attribute 'name\.nope'/],
    ['userName[value eq "a"].value eq "x"', /complex/],
  ])('rejects the sub-attribute of a value path %s', (filter, detail) => {
    const error = scimError(() => compileFilter(filter, USER_FILTER_TARGET, []));
    expect([error.status, error.scimType]).toEqual([400, 'invalidFilter']);
    expect(error.detail).toMatch(detail);
  });
});

describe('compileSort', () => {
  it.each<[string, string | undefined, string]>([
    ['userName', undefined, 'lower(u.user_name) ASC NULLS LAST'],
    ['USERNAME', 'Descending', 'lower(u.user_name) DESC NULLS FIRST'],
    ['externalId', 'ascending', 'u.external_id ASC NULLS LAST'],
    ['meta.lastModified', 'descending', 'u.updated_at DESC NULLS FIRST'],
    ['id', undefined, 'u.id ASC NULLS LAST'],
    ['name.familyName', undefined, "lower(u.resource->'name'->>'familyName') ASC NULLS LAST"],
    [`${ENT}:department`, undefined, `lower(u.resource->'${ENT}'->>'department') ASC NULLS LAST`],
    [
      'emails',
      undefined,
      "(SELECT lower(s1.e->>'value') FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.resource->'emails') = 'array' " +
        "THEN u.resource->'emails' ELSE '[]'::jsonb END) WITH ORDINALITY AS s1(e, n) ORDER BY " +
        "(lower(s1.e->>'primary') = 'true') IS TRUE DESC, s1.n LIMIT 1) ASC NULLS LAST",
    ],
  ])('sortBy=%s sortOrder=%s', (sortBy, sortOrder, sql) => {
    expect(compileSort(sortBy, sortOrder, USER_FILTER_TARGET)).toBe(sql);
  });

  it('sorts groups by name', () => {
    expect(compileSort('displayName', undefined, GROUP_FILTER_TARGET)).toBe('lower(g.name) ASC NULLS LAST');
  });

  it('returns undefined without sortBy', () => {
    expect(compileSort(undefined, 'descending', USER_FILTER_TARGET)).toBeUndefined();
    expect(compileSort('', undefined, USER_FILTER_TARGET)).toBeUndefined();
  });

  it.each<[string, string | undefined, FilterTarget]>([
    ['nope', undefined, USER_FILTER_TARGET],
    ['name', undefined, USER_FILTER_TARGET],
    ['userName', 'sideways', USER_FILTER_TARGET],
    ['members', undefined, GROUP_FILTER_TARGET],
    ["userName'; DROP TABLE x; --", undefined, USER_FILTER_TARGET],
  ])('rejects sortBy=%s sortOrder=%s with invalidValue', (sortBy, sortOrder, target) => {
    const error = scimError(() => compileSort(sortBy, sortOrder, target));
    expect([error.status, error.scimType]).toEqual([400, 'invalidValue']);
  });
});

describe('escapeLike', () => {
  it('escapes the LIKE metacharacters only', () => {
    expect(escapeLike('a%b_c\\d.e*')).toBe('a\\%b\\_c\\\\d.e*');
  });
});
