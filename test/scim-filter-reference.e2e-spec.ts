/*
 * The SQL compiler against a reference evaluator (fixtures/filter-reference.ts): generated users and groups are
 * created through the API, then generated filters — value paths with and without a sub-attribute
 * (`emails[type eq "work"].value eq "…"`), every operator, `and` / `or` / `not`, names in any letter case — are
 * sent as `GET /Users?filter=…` and `GET /Groups?filter=…`; the answer must be exactly the resources the
 * reference picks from what the server returned. Reproducible (fixed seed; FUZZ_SEED / FUZZ_RUNS change it).
 */
import fc from 'fast-check';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { filterText, matches, type RefFilter, type RefOp } from './fixtures/filter-reference';
import { createUser, expectListResponse, type Json, scimClient, type ScimClient } from './fixtures/scim';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SEED = Number(process.env.FUZZ_SEED ?? 7232);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const ALL_OPS: RefOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
const STRINGS = ['', 'a', 'A', 'ab', 'b', '9', '90', 'a9', 'work', 'Work', 'home', 'ann@example.com'];

const text = fc.constantFrom(...STRINGS);
const op = fc.constantFrom(...ALL_OPS);
/** An attribute name as a client may spell it. */
const spelled = (name: string) =>
  fc.constantFrom(name, name.toUpperCase(), name.charAt(0).toUpperCase() + name.slice(1));

const compare = (name: string): fc.Arbitrary<RefFilter> =>
  fc.record({ kind: fc.constant('compare' as const), name: spelled(name), op, value: text });
const present = (name: string): fc.Arbitrary<RefFilter> =>
  fc.record({ kind: fc.constant('present' as const), name: spelled(name) });
const bool = (name: string): fc.Arbitrary<RefFilter> =>
  fc.record({
    kind: fc.constant('compare' as const),
    name: spelled(name),
    op: fc.constantFrom<RefOp>('eq', 'ne'),
    value: fc.boolean(),
  });

/** A filter over the sub-attributes of one element, one `and` / `or` / `not` deep at most. */
function elementFilter(subs: fc.Arbitrary<RefFilter>): fc.Arbitrary<RefFilter> {
  return fc.oneof(
    { weight: 3, arbitrary: subs },
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: subs, right: subs }),
    fc.record({ kind: fc.constant('not' as const), filter: subs }),
  );
}

function valuePath(attr: string, subs: fc.Arbitrary<RefFilter>): fc.Arbitrary<RefFilter> {
  return fc.record(
    { kind: fc.constant('valuePath' as const), attr: spelled(attr), filter: elementFilter(subs), sub: subs },
    { requiredKeys: ['kind', 'attr', 'filter'] },
  );
}

function combined(leaf: fc.Arbitrary<RefFilter>): fc.Arbitrary<RefFilter> {
  return fc.letrec<{ f: RefFilter }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: leaf },
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('f'), right: tie('f') }),
      fc.record({ kind: fc.constant('not' as const), filter: tie('f') }),
    ),
  })).f;
}

const emailSub = fc.oneof(
  compare('value'),
  compare('type'),
  bool('primary'),
  present('value'),
  present('type'),
);
const addressSub = fc.oneof(
  compare('postalCode'),
  compare('type'),
  present('postalCode'),
  present('locality'),
);

const userFilter = combined(
  fc.oneof(
    { weight: 4, arbitrary: valuePath('emails', emailSub) },
    { weight: 3, arbitrary: valuePath('addresses', addressSub) },
    compare('userName'),
    compare('externalId'),
    compare('title'),
    present('title'),
  ),
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const withoutUndefined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const generatedUser = fc
  .record({
    externalId: optional(fc.constantFrom('a', 'A', 'ab', 'b9')),
    title: optional(text.filter((s) => s !== '')),
    emails: optional(
      fc.array(
        fc.record({
          value: fc.constantFrom('ann@example.com', 'ANN@example.com', 'a9', 'b', 'ab'),
          type: optional(fc.constantFrom('work', 'Work', 'home', 'other')),
          primary: optional(fc.constant(false)),
        }),
        { maxLength: 3 },
      ),
    ),
    addresses: optional(
      fc.array(
        fc.record({
          type: optional(fc.constantFrom('work', 'home')),
          postalCode: optional(fc.constantFrom('9', '90210', '19', 'a9', 'A')),
          locality: optional(fc.constantFrom('Oslo', 'Lyon')),
        }),
        { maxLength: 2 },
      ),
    ),
  })
  .map((u) => ({
    ...withoutUndefined(u),
    ...(u.emails ? { emails: u.emails.map(withoutUndefined) } : {}),
    ...(u.addresses ? { addresses: u.addresses.map(withoutUndefined) } : {}),
  }));

describe('SCIM filters against a reference evaluator (fast-check)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let users: Json[];
  let groups: Json[];

  beforeAll(async () => {
    t = await createTestApp({ SCIM_RATE_LIMIT: '1000000', SCIM_RATE_BURST: '1000000' });
    scim = scimClient(t, (await createScimDirectory(t, 'entra')).integration.token);
    const samples = fc.sample(generatedUser, { seed: SEED, numRuns: 40 });
    // One primary email here and there, on a user with emails.
    samples.forEach((u, i) => {
      const emails = u.emails;
      if (emails?.length && i % 3 === 0) emails[0].primary = true;
    });
    users = [];
    for (const [i, extra] of samples.entries())
      users.push(await createUser(scim, `user${i}@example.org`, extra));
    groups = [];
    for (let g = 0; g < 4; g++) {
      const members = users.filter((_, i) => i % (g + 2) === 0).map((u) => ({ value: u.id }));
      const res = await scim
        .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `Group ${g}`, members })
        .expect(201);
      groups.push(res.body);
    }
    // What the server holds, as the reference sees it.
    users = expectListResponse(await scim.get('/Users?count=1000')).Resources;
    groups = expectListResponse(await scim.get('/Groups?count=1000')).Resources;
    expect(users).toHaveLength(40);
  }, 120_000);
  afterAll(() => t.close());

  async function answered(collection: 'Users' | 'Groups', filter: RefFilter): Promise<string[]> {
    const res = await scim.get(`/${collection}?count=1000&filter=${encodeURIComponent(filterText(filter))}`);
    return expectListResponse(res)
      .Resources.map((r) => r.id as string)
      .sort();
  }

  const expected = (resources: Json[], filter: RefFilter) =>
    resources
      .filter((r) => matches(filter, r))
      .map((r) => r.id as string)
      .sort();

  it('the generated data exercises every part of the filters', () => {
    const some = (f: RefFilter) => expected(users, f).length;
    const workEmail: RefFilter = {
      kind: 'valuePath',
      attr: 'emails',
      filter: { kind: 'compare', name: 'type', op: 'eq', value: 'work' },
    };
    expect(some(workEmail)).toBeGreaterThan(3);
    expect(some(workEmail)).toBeLessThan(users.length - 3);
    expect(
      some({ ...workEmail, sub: { kind: 'compare', name: 'value', op: 'eq', value: 'ann@example.com' } }),
    ).toBeGreaterThan(0);
    expect(some({ kind: 'present', name: 'addresses' })).toBeGreaterThan(3);
  });

  it('GET /Users?filter=… answers what the reference evaluator picks', async () => {
    await fc.assert(
      fc.asyncProperty(userFilter, async (filter) => {
        expect(await answered('Users', filter)).toEqual(expected(users, filter));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 300_000);

  it('GET /Groups?filter=members[…].value … answers what the reference evaluator picks', async () => {
    const ids = fc.constantFrom(...users.slice(0, 6).map((u) => u.id as string), 'bogus');
    const memberSub = fc.oneof(
      fc.record({
        kind: fc.constant('compare' as const),
        name: spelled('value'),
        op,
        value: fc.oneof(
          ids,
          ids.map((id) => id.toUpperCase().slice(0, 8)),
        ),
      }),
      fc.record({
        kind: fc.constant('compare' as const),
        name: spelled('type'),
        op: fc.constantFrom<RefOp>('eq', 'ne', 'sw'),
        value: fc.constantFrom('User', 'user', 'Group'),
      }),
      present('value'),
    );
    const groupFilter = combined(
      fc.oneof(
        { weight: 3, arbitrary: valuePath('members', memberSub) },
        compare('displayName').map((f) => (f.kind === 'compare' ? { ...f, value: `Group ${f.value}` } : f)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(groupFilter, async (filter) => {
        expect(await answered('Groups', filter)).toEqual(expected(groups, filter));
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 2) },
    );
  }, 300_000);
});
