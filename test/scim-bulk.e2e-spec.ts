import request from 'supertest';
import { createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  createUser,
  eventsOf,
  expectScimContentType,
  expectScimError,
  type Json,
  LOCATION_BASE,
  NO_SUCH_ID,
  PATCH_OP,
  SCIM_BASE,
  scimClient,
  type ScimClient,
  storedUser,
  USER_SCHEMA,
  userBody,
  UUID,
} from './fixtures/scim';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const BULK_MAX_PAYLOAD = 256 * 1024;

type Operation = Record<string, unknown>;

function bulk(operations: Operation[], extra: Record<string, unknown> = {}): Json {
  return { schemas: [BULK_REQUEST], Operations: operations, ...extra };
}

function postUser(bulkId: string, userName: string, extra: Record<string, unknown> = {}): Operation {
  return { method: 'POST', path: '/Users', bulkId, data: userBody(userName, extra) };
}

/** The BulkResponse of a request that must answer 200. */
async function sendBulk(client: ScimClient, body: Json): Promise<Json[]> {
  const res = await client.post('/Bulk', body);
  if (res.status !== 200) throw new Error(`POST /Bulk: ${res.status} ${JSON.stringify(res.body)}`);
  expectScimContentType(res);
  expect(res.body.schemas).toEqual([BULK_RESPONSE]);
  return res.body.Operations as Json[];
}

async function groupMembers(client: ScimClient, id: string): Promise<string[]> {
  const res = await client.get(`/Groups/${id}`).expect(200);
  return ((res.body.members ?? []) as Json[]).map((m) => m.value as string).sort();
}

describe('SCIM /Bulk', () => {
  let t: TestApp;
  let scim: ScimClient;
  let dir: Awaited<ReturnType<typeof createScimDirectory>>;

  beforeAll(async () => {
    t = await createTestApp({ SCIM_BULK_MAX_PAYLOAD_BYTES: String(BULK_MAX_PAYLOAD) });
    dir = await createScimDirectory(t);
    scim = scimClient(t, dir.integration.token);
  });
  afterAll(() => t.close());

  it('is advertised in /ServiceProviderConfig with its limits', async () => {
    const res = await scim.get('/ServiceProviderConfig').expect(200);
    expect(res.body.bulk).toEqual({ supported: true, maxOperations: 1000, maxPayloadSize: BULK_MAX_PAYLOAD });
  });

  it('runs POST, PUT, PATCH and DELETE of users and groups, with bulkIds referred to before and after their POST', async () => {
    const old = await createUser(scim, 'bulk.old@example.com');
    const gone = await createUser(scim, 'bulk.gone@example.com');
    const ops = await sendBulk(
      scim,
      bulk([
        // A group whose members are created later in the same request (a forward reference).
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g1',
          data: {
            schemas: [GROUP_SCHEMA],
            displayName: 'Bulk engineers',
            members: [{ value: 'bulkId:ann', type: 'User' }, { value: 'bulkId:bob' }],
          },
        },
        postUser('ann', 'bulk.ann@example.com'),
        postUser('bob', 'bulk.bob@example.com', {
          [`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`]: {
            manager: { value: 'bulkId:ann' },
          },
        }),
        // A backward reference, in a path.
        {
          method: 'PATCH',
          path: '/Users/bulkId:ann',
          data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Lead' }] },
        },
        {
          method: 'PUT',
          path: `/Users/${old.id}`,
          version: old.meta.version,
          data: userBody('bulk.old@example.com', { displayName: 'Old, replaced' }),
        },
        { method: 'DELETE', path: `/Users/${gone.id}` },
        {
          method: 'PATCH',
          path: '/Groups/bulkId:g1',
          data: {
            schemas: [PATCH_OP],
            Operations: [{ op: 'add', path: 'members', value: [{ value: old.id }] }],
          },
        },
      ]),
    );
    expect(ops.map((o) => [o.method, o.bulkId, o.status])).toEqual([
      ['POST', 'g1', '201'],
      ['POST', 'ann', '201'],
      ['POST', 'bob', '201'],
      ['PATCH', undefined, '200'],
      ['PUT', undefined, '200'],
      ['DELETE', undefined, '204'],
      ['PATCH', undefined, '204'],
    ]);
    const [group, ann, bob] = ops.map((o) => String(o.location).split('/').pop()!);
    expect(ops[0].location).toBe(`${LOCATION_BASE}/Groups/${group}`);
    expect(ops[1].location).toBe(`${LOCATION_BASE}/Users/${ann}`);
    expect(ops[1].version).toBe('W/"1"');
    for (const id of [group, ann, bob]) expect(id).toMatch(UUID);
    expect(await groupMembers(scim, group)).toEqual([ann, bob, old.id].sort());
    const bobRead = await scim.get(`/Users/${bob}`).expect(200);
    expect(bobRead.body['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].manager.value).toBe(
      ann,
    );
    expect((await scim.get(`/Users/${ann}`).expect(200)).body.title).toBe('Lead');
    expect((await scim.get(`/Users/${old.id}`).expect(200)).body.displayName).toBe('Old, replaced');
    await scim.get(`/Users/${gone.id}`).expect(404);
  });

  it('answers each failed operation with its SCIM error, and the others still happen (not atomic as a whole)', async () => {
    const taken = await createUser(scim, 'bulk.taken@example.com');
    const ops = await sendBulk(
      scim,
      bulk([
        postUser('dup', 'BULK.TAKEN@example.com'),
        {
          method: 'PATCH',
          path: `/Users/${NO_SUCH_ID}`,
          data: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'title' }] },
        },
        { method: 'POST', path: '/Users', bulkId: 'bad', data: { schemas: [USER_SCHEMA] } },
        {
          method: 'PUT',
          path: `/Users/${taken.id}`,
          version: 'W/"99"',
          data: userBody('bulk.taken@example.com'),
        },
        postUser('fine', 'bulk.fine@example.com'),
        // Refers to a POST that failed, and to a bulkId no operation has.
        { method: 'DELETE', path: '/Users/bulkId:dup' },
        { method: 'DELETE', path: '/Users/bulkId:nobody' },
      ]),
    );
    expect(ops.map((o) => [o.status, o.response?.scimType])).toEqual([
      ['409', 'uniqueness'],
      ['404', undefined],
      ['400', 'invalidValue'],
      ['412', undefined],
      ['201', undefined],
      ['409', 'invalidValue'],
      ['400', 'invalidValue'],
    ]);
    for (const o of ops.filter((o) => o.status !== '201')) {
      expect(o.response).toMatchObject({
        schemas: [SCIM_ERROR],
        status: o.status,
        detail: expect.any(String),
      });
      expect(o.location).toBeUndefined();
    }
    expect(ops[0].bulkId).toBe('dup');
    const fine = String(ops[4].location).split('/').pop()!;
    expect((await scim.get(`/Users/${fine}`).expect(200)).body.userName).toBe('bulk.fine@example.com');
  });

  it('refuses a cycle of bulkId references with 409 and runs the rest', async () => {
    const ops = await sendBulk(
      scim,
      bulk([
        postUser('x', 'bulk.cycle.x@example.com', { title: 'bulkId:y' }),
        postUser('y', 'bulk.cycle.y@example.com', { title: 'bulkId:x' }),
        postUser('z', 'bulk.cycle.z@example.com'),
      ]),
    );
    expect(ops.map((o) => [o.bulkId, o.status, o.response?.scimType])).toEqual([
      ['x', '409', 'invalidValue'],
      ['y', '409', 'invalidValue'],
      ['z', '201', undefined],
    ]);
    expect(ops[0].response.detail).toMatch(/cycle/);
    const found = await scim
      .get(`/Users?filter=${encodeURIComponent('userName sw "bulk.cycle."')}`)
      .expect(200);
    expect(found.body.totalResults).toBe(1);
  });

  it('stops after failOnErrors errors: the operations after it are not run and not answered', async () => {
    const ops = await sendBulk(
      scim,
      bulk(
        [
          { method: 'DELETE', path: `/Users/${NO_SUCH_ID}` },
          postUser('f1', 'bulk.fail.1@example.com'),
          { method: 'DELETE', path: `/Groups/${NO_SUCH_ID}` },
          postUser('f2', 'bulk.fail.2@example.com'),
          postUser('f3', 'bulk.fail.3@example.com'),
        ],
        { failOnErrors: 2 },
      ),
    );
    // With failOnErrors, operations run one at a time: the second error is the third operation, and nothing
    // follows it.
    expect(ops.map((o) => o.status)).toEqual(['404', '201', '404']);
    const found = await scim
      .get(`/Users?filter=${encodeURIComponent('userName sw "bulk.fail."')}`)
      .expect(200);
    expect(found.body.totalResults).toBe(1);
  });

  it('writes one activity event per operation, with the request id and the operation’s method and path', async () => {
    const before = (await eventsOf(t, dir.integration.id)).length;
    const res = await scim.post(
      '/Bulk',
      bulk([
        postUser('e1', 'bulk.event.1@example.com'),
        {
          method: 'PATCH',
          path: '/Users/bulkId:e1',
          data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
        },
        { method: 'DELETE', path: `/Users/${NO_SUCH_ID}` },
      ]),
    );
    expect(res.status).toBe(200);
    const id = String(res.body.Operations[0].location).split('/').pop();
    const events = (await eventsOf(t, dir.integration.id)).slice(before);
    const requestId = res.headers['x-request-id'];
    // Operations without references between them may run at once: their events are in any order.
    const rows = events.map((e) => [e.method, e.path, e.status, e.resource_type, e.request_id]);
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['POST', '/Users', 201, 'User', requestId],
        ['PATCH', `/Users/${id}`, 200, 'User', requestId],
        ['DELETE', `/Users/${NO_SUCH_ID}`, 404, 'User', requestId],
      ]),
    );
    expect(events.find((e) => e.method === 'POST')?.resource_id).toBe(id);
  });

  it('finds no resource of another integration (404 inside the bulk request), and changes none', async () => {
    const other = await createScimDirectory(t);
    const otherScim = scimClient(t, other.integration.token);
    const theirs = await createUser(otherScim, 'bulk.theirs@example.com');
    const ops = await sendBulk(
      scim,
      bulk([
        { method: 'PUT', path: `/Users/${theirs.id}`, data: userBody('bulk.hijack@example.com') },
        { method: 'DELETE', path: `/Users/${theirs.id}` },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'steal',
          data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk thieves', members: [{ value: theirs.id }] },
        },
      ]),
    );
    expect(ops.map((o) => o.status)).toEqual(['404', '404', '400']);
    expect((await storedUser(t, theirs.id))?.user_name).toBe('bulk.theirs@example.com');
  });

  describe('refused as a whole, changing nothing', () => {
    it.each([
      ['not an object', '[1]', 'invalidSyntax'],
      [
        'without the BulkRequest schema',
        JSON.stringify({ Operations: [postUser('a', 'bulk.r1@example.com')] }),
        'invalidSyntax',
      ],
      [
        'Operations not an array',
        JSON.stringify({ schemas: [BULK_REQUEST], Operations: {} }),
        'invalidSyntax',
      ],
      [
        'an unknown method',
        JSON.stringify(bulk([postUser('a', 'bulk.r2@example.com'), { method: 'GET', path: '/Users' }])),
        'invalidSyntax',
      ],
      [
        'a missing path',
        JSON.stringify(bulk([postUser('a', 'bulk.r3@example.com'), { method: 'POST', data: userBody('x') }])),
        'invalidSyntax',
      ],
      [
        'data on DELETE',
        JSON.stringify(
          bulk([
            postUser('a', 'bulk.r4@example.com'),
            { method: 'DELETE', path: `/Users/${NO_SUCH_ID}`, data: {} },
          ]),
        ),
        'invalidSyntax',
      ],
      [
        'an id in a POST path',
        JSON.stringify(
          bulk([{ method: 'POST', path: `/Users/${NO_SUCH_ID}`, data: userBody('bulk.r5@example.com') }]),
        ),
        'invalidSyntax',
      ],
      [
        'another resource type',
        JSON.stringify(bulk([{ method: 'POST', path: '/Printers', data: {} }])),
        'invalidSyntax',
      ],
      [
        'a bulkId used twice',
        JSON.stringify(bulk([postUser('a', 'bulk.r6@example.com'), postUser('a', 'bulk.r7@example.com')])),
        'invalidValue',
      ],
      [
        'failOnErrors of 0',
        JSON.stringify(bulk([postUser('a', 'bulk.r8@example.com')], { failOnErrors: 0 })),
        'invalidValue',
      ],
    ])('%s: 400', async (_case, body, scimType) => {
      const before = await t.sql<{ n: string }>(
        'SELECT count(*) AS n FROM scim_users WHERE integration_id = $1',
        [dir.integration.id],
      );
      expectScimError(await scim.post('/Bulk', body), 400, scimType);
      const after = await t.sql<{ n: string }>(
        'SELECT count(*) AS n FROM scim_users WHERE integration_id = $1',
        [dir.integration.id],
      );
      expect(after[0].n).toBe(before[0].n);
    });

    it('more than maxOperations: 413 tooLarge', async () => {
      const ops = Array.from({ length: 1001 }, (_, i) => ({
        method: 'DELETE',
        path: `/Users/${NO_SUCH_ID}`,
        bulkId: `d${i}`,
      }));
      expectScimError(await scim.post('/Bulk', bulk(ops)), 413, 'tooLarge');
    });

    it('a body over maxPayloadSize: 413 tooLarge before it is read, with or without a length', async () => {
      const big = bulk([postUser('big', 'bulk.big@example.com', { title: 'x'.repeat(BULK_MAX_PAYLOAD) })]);
      expectScimError(await scim.post('/Bulk', big), 413, 'tooLarge');
      // Sent in chunks, without Content-Length: cut at the limit while it is read.
      const text = JSON.stringify(big);
      const sending = request(t.http)
        .post(`${SCIM_BASE}/Bulk`)
        .auth(dir.integration.token, { type: 'bearer' })
        .set('Content-Type', 'application/scim+json');
      for (let i = 0; i < text.length; i += 16 * 1024) sending.write(text.slice(i, i + 16 * 1024));
      const chunked = await sending;
      expectScimError(chunked, 413);
      await scim
        .get(`/Users?filter=${encodeURIComponent('userName eq "bulk.big@example.com"')}`)
        .expect(200)
        .expect((r) => {
          expect(r.body.totalResults).toBe(0);
        });
    });

    it('takes a body over BODY_LIMIT_BYTES up to maxPayloadSize, and only POST', async () => {
      const small = await createTestApp({
        BODY_LIMIT_BYTES: '4096',
        SCIM_BULK_MAX_PAYLOAD_BYTES: String(BULK_MAX_PAYLOAD),
      });
      try {
        const d = await createScimDirectory(small);
        const c = scimClient(small, d.integration.token);
        const ops = Array.from({ length: 100 }, (_, i) => postUser(`u${i}`, `bulk.many.${i}@example.com`));
        expect(JSON.stringify(bulk(ops)).length).toBeGreaterThan(4096);
        const answers = await sendBulk(c, bulk(ops));
        expect(answers.filter((o) => o.status === '201')).toHaveLength(100);
        const wrong = await c.get('/Bulk');
        expectScimError(wrong, 405);
        expect(wrong.headers.allow).toBe('POST');
      } finally {
        await small.close();
      }
    });
  });

  it('does not hold up another integration’s requests while it runs', async () => {
    const other = await createScimDirectory(t);
    const otherScim = scimClient(t, other.integration.token);
    const known = await createUser(otherScim, 'bulk.neighbour@example.com');
    const ops = Array.from({ length: 1000 }, (_, i) => postUser(`n${i}`, `bulk.load.${i}@example.com`));
    let bulkDone = false;
    const load = scim.post('/Bulk', bulk(ops)).then((res) => {
      bulkDone = true;
      return res;
    });
    // Once the bulk request is writing (its first users are stored), the neighbour's requests are answered
    // while it still runs.
    for (;;) {
      const [row] = await t.sql<{ n: string }>(
        `SELECT count(*) AS n FROM scim_users WHERE integration_id = $1 AND user_name LIKE 'bulk.load.%'`,
        [dir.integration.id],
      );
      if (Number(row.n) > 0 || bulkDone) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(bulkDone).toBe(false);
    for (let i = 0; i < 3; i++) {
      const res = await otherScim.get(`/Users/${known.id}`);
      expect(res.status).toBe(200);
    }
    expect(bulkDone).toBe(false);
    const res = await load;
    expect(res.status).toBe(200);
    expect((res.body.Operations as Json[]).every((o) => o.status === '201')).toBe(true);
  });
});
