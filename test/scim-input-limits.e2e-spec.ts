import { randomUUID, scrypt } from 'node:crypto';
import type request from 'supertest';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import { createGroup, insertUsers, storedGroup, storedMembers } from './fixtures/groups/helpers';
import { GROUP_SCHEMA } from './fixtures/groups/okta';
import {
  createUser,
  expectScimError,
  type Json,
  patchBody,
  scimClient,
  type ScimClient,
  SEARCH_REQUEST,
  storedUser,
  userBody,
} from './fixtures/scim';

const MAX_PATCH_OPERATIONS = 1000;
const MAX_VALUES_PER_ATTRIBUTE = 1000;
const MAX_ATTRIBUTES_PER_OBJECT = 1000;
const MAX_MEMBERS_PER_REQUEST = 50_000;
const MAX_GROUP_RESOURCE_BYTES = 8192;
const MAX_ATTRIBUTE_LIST_LENGTH = 8192;
const MAX_FILTER_LENGTH = 4096;
const MAX_FILTER_TERMS = 100;
const ONE_MIB = 1024 * 1024;

/** An over-limit request: 400, the RFC 7644 error body, its scimType and a detail naming the limit. */
function expectRefused(res: request.Response, scimType: string, detail: RegExp): void {
  expectScimError(res, 400, scimType);
  expect(res.body.detail).toMatch(detail);
}

/** Whether `password` matches a stored `scrypt$N$r$p$salt$hash`, recomputed from the stored parameters. */
async function scryptMatches(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  expect(kind).toBe('scrypt');
  const expected = Buffer.from(hash, 'base64');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password,
      Buffer.from(salt, 'base64'),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * ONE_MIB },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
  return actual.equals(expected);
}

const emails = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `u${i}@example.com` }));
const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

/**
 * Every input of the SCIM API has a limit, refused with a 400 that names it before the work it would cost, and
 * nothing is stored. Each limit sits far above what identity providers send.
 */
describe('SCIM input limits', () => {
  let t: TestApp;
  let scim: ScimClient;
  let tenantId: string;
  let integrationId: string;

  beforeAll(async () => {
    t = await createTestApp();
    const dir = await createScimDirectory(t, 'okta');
    tenantId = dir.tenant.id;
    integrationId = dir.integration.id;
    scim = scimClient(t, dir.integration.token);
  });
  afterAll(() => t.close());

  async function usersNamed(userName: string): Promise<number> {
    const rows = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM scim_users WHERE integration_id = $1 AND lower(user_name) = lower($2)`,
      [integrationId, userName],
    );
    return rows[0].n;
  }

  async function groupsNamed(displayName: string): Promise<number> {
    const rows = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM groups WHERE integration_id = $1 AND name = $2`,
      [integrationId, displayName],
    );
    return rows[0].n;
  }

  /** Sends `send` for the user and asserts the stored row did not change at all. */
  async function unchangedUser(id: string, send: () => Promise<request.Response>): Promise<request.Response> {
    const before = await storedUser(t, id);
    const res = await send();
    expect(await storedUser(t, id)).toEqual(before);
    return res;
  }

  async function unchangedGroup(
    id: string,
    send: () => Promise<request.Response>,
  ): Promise<request.Response> {
    const before = { group: await storedGroup(t, id), members: await storedMembers(t, id) };
    const res = await send();
    expect({ group: await storedGroup(t, id), members: await storedMembers(t, id) }).toEqual(before);
    return res;
  }

  describe('PATCH operations per request', () => {
    it('takes 1000 operations and refuses 1001 on a user', async () => {
      const user = await createUser(scim, 'many.ops@example.com');
      const ops = (n: number) =>
        patchBody(...Array.from({ length: n }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` })));
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, ops(MAX_PATCH_OPERATIONS + 1)),
      );
      expectRefused(res, 'invalidValue', /1001 operations; the limit is 1000 operations per request/);

      const ok = await scim.patch(`/Users/${user.id}`, ops(MAX_PATCH_OPERATIONS)).expect(200);
      expect(ok.body.title).toBe('t999');
    });

    it('refuses 1001 one-member operations on a group, before the members are looked at', async () => {
      const group = await createGroup(scim, { schemas: [GROUP_SCHEMA], displayName: 'Many ops' });
      const body = patchBody(
        ...ids(MAX_PATCH_OPERATIONS + 1).map((value) => ({ op: 'add', path: 'members', value: [{ value }] })),
      );
      const res = await unchangedGroup(group.id, () => scim.patch(`/Groups/${group.id}`, body));
      expectRefused(res, 'invalidValue', /1001 operations; the limit is 1000/);
    });

    it('applies 1000 one-member operations as one net change', async () => {
      const users = await insertUsers(t, tenantId, integrationId, 500, 'net');
      const group = await createGroup(scim, { schemas: [GROUP_SCHEMA], displayName: 'Net change' });
      const body = patchBody(
        ...users.flatMap((u, i) => [
          { op: 'add', path: 'members', value: [{ value: u.id }] },
          i % 2
            ? { op: 'remove', path: `members[value eq "${u.id}"]` }
            : { op: 'add', path: 'members', value: u.id },
        ]),
      );
      await scim.patch(`/Groups/${group.id}`, body).expect(204);
      expect(await storedMembers(t, group.id)).toEqual(
        users
          .filter((_, i) => i % 2 === 0)
          .map((u) => u.id)
          .sort(),
      );
    });
  });

  describe('values per multi-valued attribute', () => {
    it('refuses a POST with 1001 emails and stores nothing', async () => {
      const res = await scim.post('/Users', userBody('emails@example.com', { emails: emails(1001) }));
      expectRefused(
        res,
        'invalidValue',
        /'emails' would have 1001 values; the limit is 1000 values per attribute/,
      );
      expect(await usersNamed('emails@example.com')).toBe(0);
    });

    it('takes 1000 emails, duplicates in any spelling counted once', async () => {
      const listed = [...emails(MAX_VALUES_PER_ATTRIBUTE - 1), { VALUE: 'u0@example.com' }];
      const user = await createUser(scim, 'thousand@example.com', { emails: listed });
      expect(user.emails).toHaveLength(MAX_VALUES_PER_ATTRIBUTE - 1);
    });

    it('refuses a PUT with 1001 phone numbers and keeps the user', async () => {
      const user = await createUser(scim, 'phones@example.com');
      const phoneNumbers = Array.from({ length: 1001 }, (_, i) => ({ value: `+1 555 ${i}` }));
      const res = await unchangedUser(user.id, () =>
        scim.put(`/Users/${user.id}`, userBody('phones@example.com', { phoneNumbers })),
      );
      expectRefused(res, 'invalidValue', /'phoneNumbers' would have 1001 values/);
    });

    it('refuses a PATCH whose result would have 1001 values', async () => {
      const user = await createUser(scim, 'grows@example.com', { roles: emails(999) });
      const res = await unchangedUser(user.id, () =>
        scim.patch(
          `/Users/${user.id}`,
          patchBody({ op: 'add', path: 'roles', value: [{ value: 'a' }, { value: 'b' }] }),
        ),
      );
      expectRefused(res, 'invalidValue', /'roles' would have 1001 values; the limit is 1000/);
    });
  });

  describe('attributes per object', () => {
    it('refuses a user with 1001 attributes', async () => {
      const extra = Object.fromEntries(
        Array.from({ length: MAX_ATTRIBUTES_PER_OBJECT }, (_, i) => [`x${i}`, i]),
      );
      const res = await scim.post('/Users', userBody('wide@example.com', extra));
      expectRefused(
        res,
        'invalidValue',
        /The User has 1002 attributes; the limit is 1000 attributes per object/,
      );
      expect(await usersNamed('wide@example.com')).toBe(0);
    });

    it('refuses a PATCH that would leave a complex value with 1001 attributes', async () => {
      const half = (from: number) =>
        Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x${from + i}`, i]));
      const user = await createUser(scim, 'wide.name@example.com', { name: { givenName: 'A', ...half(0) } });
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'add', path: 'name', value: half(500) })),
      );
      expectRefused(res, 'invalidValue', /Attribute 'name' has 1001 attributes; the limit is 1000/);
    });

    it('refuses a PATCH that only sets values when it would add a 1001st attribute, and takes one that would not', async () => {
      // schemas, userName, active and 997 more: 1000 attributes.
      const extra = Object.fromEntries(
        Array.from({ length: MAX_ATTRIBUTES_PER_OBJECT - 3 }, (_, i) => [`x${i}`, i]),
      );
      const user = await createUser(scim, 'full@example.com', extra);
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'One more' })),
      );
      expectRefused(res, 'invalidValue', /The User has 1001 attributes; the limit is 1000/);
      const ok = await scim.patch(
        `/Users/${user.id}`,
        patchBody({ op: 'replace', value: { active: false } }),
      );
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ active: false, meta: { version: 'W/"2"' } });
    });

    it('refuses a PATCH of a sub-attribute that would leave a complex value with 1001 attributes', async () => {
      const extra = Object.fromEntries(
        Array.from({ length: MAX_ATTRIBUTES_PER_OBJECT - 1 }, (_, i) => [`x${i}`, i]),
      );
      const user = await createUser(scim, 'full.name@example.com', { name: { givenName: 'A', ...extra } });
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'name.familyName', value: 'B' })),
      );
      expectRefused(res, 'invalidValue', /Attribute 'name' has 1001 attributes; the limit is 1000/);
      const ok = await scim.patch(
        `/Users/${user.id}`,
        patchBody({ op: 'replace', path: 'name.givenName', value: 'C' }),
      );
      expect(ok.status).toBe(200);
      expect(ok.body.name.givenName).toBe('C');
    });
  });

  describe('the size of a resource', () => {
    it('refuses a PATCH that would make the user larger than the request body limit', async () => {
      const chunk = 'x'.repeat(600 * 1024);
      const user = await createUser(scim, 'large@example.com', { notes: chunk });
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: chunk })),
      );
      expectRefused(res, 'invalidValue', /the limit is 1048576 bytes, the request body limit/);
    });

    it(`refuses a group whose own JSON (members aside) would pass ${MAX_GROUP_RESOURCE_BYTES} bytes, on POST, PUT and PATCH`, async () => {
      const big = 'x'.repeat(MAX_GROUP_RESOURCE_BYTES);
      const ext = 'urn:example:params:scim:schemas:extension:custom:2.0:Group';
      const withNotes = (displayName: string, notes: string) => ({
        schemas: [GROUP_SCHEMA, ext],
        displayName,
        [ext]: { notes },
      });
      const posted = await scim.post('/Groups', withNotes('big group', big));
      expectRefused(posted, 'invalidValue', /the limit is 8192 bytes, MAX_GROUP_RESOURCE_BYTES/);
      expect(await groupsNamed('big group')).toBe(0);

      const group = await createGroup(scim, {
        schemas: [GROUP_SCHEMA],
        displayName: 'small group',
        members: ids(0).map((value) => ({ value })),
      });
      const id = group.id as string;
      const put = await unchangedGroup(id, () => scim.put(`/Groups/${id}`, withNotes('small group', big)));
      expectRefused(put, 'invalidValue', /MAX_GROUP_RESOURCE_BYTES/);
      const patched = await unchangedGroup(id, () =>
        scim.patch(`/Groups/${id}`, patchBody({ op: 'add', path: `${ext}:notes`, value: big })),
      );
      expectRefused(patched, 'invalidValue', /MAX_GROUP_RESOURCE_BYTES/);
      // Just under the limit is stored.
      await scim
        .patch(`/Groups/${id}`, patchBody({ op: 'add', path: `${ext}:notes`, value: 'x'.repeat(4096) }))
        .expect(204);
    });
  });

  describe('values PostgreSQL indexes', () => {
    it.each<[string, Json, RegExp]>([
      [
        'a userName of 1000 CJK characters',
        { userName: '漢'.repeat(1000) },
        /userName takes 3000 bytes in UTF-8; the limit is 2048 bytes/,
      ],
      [
        'an externalId of 100,000 characters',
        { externalId: 'e'.repeat(100_000) },
        /externalId has 100000 characters; the limit is 1024 characters/,
      ],
    ])('refuses %s with 400, not a database error', async (_name, attributes, detail) => {
      const user = await createUser(scim, `indexed.${randomUUID()}@example.com`);
      const res = await unchangedUser(user.id, () =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', value: attributes })),
      );
      expectRefused(res, 'invalidValue', detail);
    });

    it('refuses a group displayName over 2048 bytes', async () => {
      const group = await createGroup(scim, { schemas: [GROUP_SCHEMA], displayName: 'Indexed' });
      const body = { schemas: [GROUP_SCHEMA], displayName: '漢'.repeat(700) };
      const res = await unchangedGroup(group.id, () => scim.put(`/Groups/${group.id}`, body));
      expectRefused(res, 'invalidValue', /displayName takes 2100 bytes in UTF-8; the limit is 2048 bytes/);
    });
  });

  describe('attributes, excludedAttributes and sortBy', () => {
    const long = `userName,${'x'.repeat(MAX_ATTRIBUTE_LIST_LENGTH)}`;

    it.each(['attributes', 'excludedAttributes'])('refuses %s longer than 8192 characters', async (name) => {
      const user = await createUser(scim, `projection.${name}@example.com`);
      expectRefused(
        await scim.get(`/Users/${user.id}?${name}=${long}`),
        'invalidValue',
        new RegExp(`'${name}' has 8201 characters; the limit is 8192 characters`),
      );
      expectRefused(
        await scim.get(`/Groups?${name}=${long}`),
        'invalidValue',
        /the limit is 8192 characters/,
      );
    });

    it('refuses a 1 MiB attributes list in a .search body', async () => {
      const attributes = Array.from({ length: 60_000 }, () => 'emails.value').join(',');
      const res = await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], attributes });
      expectRefused(res, 'invalidValue', /'attributes' has \d+ characters; the limit is 8192 characters/);
    });

    it('refuses a sortBy longer than 8192 characters in a .search body', async () => {
      const res = await scim.post('/Groups/.search', {
        schemas: [SEARCH_REQUEST],
        sortBy: 'a'.repeat(100_000),
      });
      expectRefused(res, 'invalidValue', /'sortBy' has 100000 characters; the limit is 8192 characters/);
    });

    it('refuses attributes in a POST before the user is created', async () => {
      const res = await scim.post(`/Users?attributes=${long}`, userBody('projected@example.com'));
      expectRefused(res, 'invalidValue', /'attributes' has 8201 characters/);
      expect(await usersNamed('projected@example.com')).toBe(0);
    });
  });

  describe('filters', () => {
    it.each<[string, string, RegExp]>([
      [
        'longer than 4096 characters',
        `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`,
        /the limit is 4096 characters/,
      ],
      [
        'with more than 100 comparisons',
        Array.from({ length: MAX_FILTER_TERMS + 1 }, (_, i) => `userName eq "${i}"`).join(' or '),
        /More than 100 comparisons \(the limit is 100\)/,
      ],
      [
        'nested deeper than 50 levels',
        `${'('.repeat(51)}userName pr${')'.repeat(51)}`,
        /deeper than 50 levels/,
      ],
    ])('refuses a filter %s with 400 invalidFilter', async (_name, filter, detail) => {
      const query = `/Users?filter=${encodeURIComponent(filter)}`;
      expectRefused(await scim.get(query), 'invalidFilter', detail);
      const search = await scim.post('/Groups/.search', { schemas: [SEARCH_REQUEST], filter });
      expectRefused(search, 'invalidFilter', detail);
    });
  });

  describe('group members per request', () => {
    let big: TestApp;
    let client: ScimClient;

    beforeAll(async () => {
      // 50,001 member ids take about 2 MB: over the default body limit, which would answer 413 first.
      big = await createTestApp({ BODY_LIMIT_BYTES: String(4 * ONE_MIB) });
      const dir = await createScimDirectory(big, 'okta');
      client = scimClient(big, dir.integration.token);
    });
    afterAll(() => big.close());

    const tooMany =
      /50001 group members|more than 50000 group members; the limit is 50000 members per request/;

    it('refuses a POST with 50,001 members and stores no group', async () => {
      const res = await client.post('/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'Too big',
        members: ids(MAX_MEMBERS_PER_REQUEST + 1),
      });
      expectRefused(res, 'invalidValue', tooMany);
      expect(await groupsNamed('Too big')).toBe(0);
    });

    it('refuses a PUT with 50,001 members and keeps the members', async () => {
      const group = await createGroup(client, { schemas: [GROUP_SCHEMA], displayName: 'Kept' });
      const body = {
        schemas: [GROUP_SCHEMA],
        displayName: 'Kept',
        members: ids(MAX_MEMBERS_PER_REQUEST + 1),
      };
      const res = await unchangedGroup(group.id, () => client.put(`/Groups/${group.id}`, body));
      expectRefused(res, 'invalidValue', tooMany);
    });

    it('counts the members of every operation of a PATCH together', async () => {
      const group = await createGroup(client, { schemas: [GROUP_SCHEMA], displayName: 'Patched' });
      const half = MAX_MEMBERS_PER_REQUEST / 2;
      const body = patchBody(
        { op: 'add', path: 'members', value: ids(half).map((value) => ({ value })) },
        { op: 'remove', path: 'members', value: ids(half + 1).map((value) => ({ value })) },
      );
      const res = await unchangedGroup(group.id, () => client.patch(`/Groups/${group.id}`, body));
      expectRefused(res, 'invalidValue', tooMany);
    });
  });

  describe('passwords', () => {
    it('stores a verifiable hash when PUTs with a password race other writers', async () => {
      const user = await createUser(scim, 'contended@example.com');
      const password = 'Corr3ct-Horse-Battery';
      const puts = Array.from({ length: 4 }, (_, i) =>
        scim.put(`/Users/${user.id}`, userBody('contended@example.com', { title: `put ${i}`, password })),
      );
      const patches = Array.from({ length: 8 }, (_, i) =>
        scim.patch(`/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: `patch ${i}` })),
      );
      const answers = await Promise.all([...puts, ...patches]);
      expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));

      const row = await storedUser(t, user.id);
      expect(row!.version).toBe(1 + answers.length);
      expect(row!.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[^$]+\$[^$]+$/);
      expect(await scryptMatches(password, row!.password_hash)).toBe(true);
      expect(await scryptMatches(`${password}!`, row!.password_hash)).toBe(false);
    });
  });
});
