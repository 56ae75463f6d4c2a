/*
 * Property-based fuzzing of the SCIM API with fast-check: generated filters (the RFC 7644 §3.4.2.2 grammar,
 * mutations of it, garbage) and list parameters, PATCH bodies, raw and broken bodies, headers, credentials,
 * methods and path spellings, sent over HTTP (supertest) to the real app on the test PostgreSQL.
 *
 * Asserted for every generated request:
 *  - never a 5xx (but the 501 that /Me documents);
 *  - every non-2xx answer under /scim/v2 (in any letter case; 304 aside) is a SCIM Error: `application/scim+json`,
 *    `schemas: [Error]`, `status` the HTTP status as a string, a `detail`, no stack trace; a 401 carries
 *    `WWW-Authenticate: Bearer`, a 405 an `Allow` header; every answer with a body is `application/scim+json`;
 *  - a rejected request (any non-2xx) changes nothing stored: the tenant's scim_users, groups and group_members
 *    rows are hashed one by one (md5 of the row) after every request and compared with the state before it;
 *  - a request with this integration's token never changes another directory's rows (a sibling integration of
 *    the same tenant), and another integration's token never changes this one's;
 *  - a 2xx write leaves a directory that still reads back (the list and the changed resources answer 200); the
 *    fixtures are then put back through the API, so that every run starts from the same directory;
 * and per family: lists, searches and single reads answer 200 (a ListResponse of this directory's resources
 * only) or 400; well-typed filters answer 200; a method a route does not have is 405 whatever the body; a body
 * declared as anything but JSON is 415 (one without Content-Type is read as JSON); a stale If-Match never writes; any credential but this integration's token in the
 * Authorization header is 401, and another integration's token finds none of this directory's resources.
 *
 * Reproducible: a fixed seed by default. Environment:
 *   FUZZ_SEED=<int>   another seed (a failure prints its seed and path);
 *   FUZZ_PATH=<path>  with FUZZ_SEED and `-t <test name>`: replay that failure's shrunk counterexample at once;
 *   FUZZ_RUNS=<int>   runs per property (the defaults keep the file around half a minute on 2 cores);
 *   FUZZ_COLLECT=1    keep going after a failure: gather every distinct one (by property and rule, and by route
 *                     for crashes and malformed answers) with the smallest request seen, print the statuses each
 *                     property reached, and fail at the end with the list. Nothing is shrunk in this mode.
 */
import fc from 'fast-check';
import request from 'supertest';
import { createIntegration, createScimDirectory, createTestApp, type TestApp } from '@rollcall/testing';
import {
  ENTERPRISE,
  LIST_RESPONSE,
  NO_SUCH_ID,
  PATCH_OP,
  SCIM_BASE,
  SCIM_ERROR,
  SEARCH_REQUEST,
  USER_SCHEMA,
} from './fixtures/scim';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** Small, so that a 413 is reachable without megabytes of traffic. */
const BODY_LIMIT_BYTES = 65536;

function envInt(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, not ${value}`);
  return n;
}

const SEED = envInt('FUZZ_SEED') ?? 7644;
const RUNS = envInt('FUZZ_RUNS');
const COLLECT = process.env.FUZZ_COLLECT === '1';
const PATH = process.env.FUZZ_PATH;
/** Generous: a failing property shrinks its counterexample by sending more requests. */
const PROPERTY_TIMEOUT_MS = 600_000;

function options(defaultRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: RUNS ?? defaultRuns, ...(PATH ? { path: PATH, endOnFailure: true } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests and answers

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'TRACE';

type QueryPart = { name: string; value: string } | { raw: string };

/**
 * A generated request. Strings may hold placeholders resolved at send time (`$TOKEN`, `$U0`, `$G1`, …), so that
 * a counterexample stays readable and replayable after the fixtures were recreated under new ids.
 */
interface Req {
  method: Method;
  /** Under the server root, query excluded: `/scim/v2/Users/$U0`. */
  path: string;
  /** Appended as `?a=b&…`; a value is percent-encoded (as UTF-8), a raw part is sent as written. */
  query?: QueryPart[];
  /** Exactly the headers sent (null: not sent). */
  headers: Record<string, string | null>;
  body?: string | Uint8Array;
  /** The credential is another integration's token: nothing of this directory may change, whatever the status. */
  foreign?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** What a request must additionally satisfy; a problem is `code: explanation`. */
type Expectation = (answer: Answer) => string | undefined;

interface World {
  tenantId: string;
  integrationId: string;
  token: string;
  adminToken: string;
  targetGroupId: string;
  users: string[];
  groups: string[];
  /** Another integration of the same tenant (its own directory), with a user and a group. */
  sibling: { token: string; userId: string; groupId: string };
}

let t: TestApp;
let world: World;
let other: { token: string; userId: string };
/** The directory's rows (key → md5 of the row) as the fixtures left them. */
let pristine: Snapshot;

const PLACEHOLDER =
  /\$(OTHER_TOKEN|SIB_TOKEN|ADMIN_TOKEN|OPERATOR_TOKEN|BAD_TOKEN|BASIC_TOKEN|TOKEN|OTHER_U0|SIB_U0|SIB_G0|U[0-2]|G[0-1])(?:~(upper|braces|bare|urn|suffix|nul))?/g;

/** Other spellings of an id (`$U0~upper`, `$G0~braces`, …): the same UUID to PostgreSQL, or almost. */
const RESPELL: Record<string, (id: string) => string> = {
  upper: (id) => id.toUpperCase(),
  braces: (id) => `{${id}}`,
  bare: (id) => id.replaceAll('-', ''),
  urn: (id) => `urn:uuid:${id}`,
  suffix: (id) => `${id}x`,
  nul: (id) => `${id}%00`,
};

function resolve(text: string): string {
  return expandLong(text).replace(PLACEHOLDER, (_, name: string, how: string | undefined) =>
    how ? RESPELL[how](placeholder(name)) : placeholder(name),
  );
}

/** The value of a placeholder's name (`TOKEN`, `U0`, …). */
function placeholder(name: string): string {
  switch (name) {
    case 'TOKEN':
      return world.token;
    case 'OTHER_TOKEN':
      return other.token;
    case 'ADMIN_TOKEN':
      return world.adminToken;
    case 'OPERATOR_TOKEN':
      return t.operatorToken;
    case 'BAD_TOKEN':
      // The same token with its last (checksum) character changed.
      return world.token.slice(0, -1) + (world.token.endsWith('A') ? 'B' : 'A');
    case 'BASIC_TOKEN':
      return Buffer.from(`${world.token}:`).toString('base64');
    case 'OTHER_U0':
      return other.userId;
    case 'SIB_TOKEN':
      return world.sibling.token;
    case 'SIB_U0':
      return world.sibling.userId;
    case 'SIB_G0':
      return world.sibling.groupId;
    default:
      return name.startsWith('U') ? world.users[Number(name[1])] : world.groups[Number(name[1])];
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, as any client would send). */
function encode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function urlOf(req: Req): string {
  const query = (req.query ?? [])
    .map((p) => ('raw' in p ? p.raw : `${encode(resolve(p.name))}=${encode(resolve(p.value))}`))
    .join('&');
  return resolve(req.path) + (query ? `?${query}` : '');
}

function bodyBytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(resolve(body), 'utf8') : Buffer.from(body);
}

function start(method: Method, url: string): request.Test {
  const agent = request(t.http);
  switch (method) {
    case 'GET':
      return agent.get(url);
    case 'HEAD':
      return agent.head(url);
    case 'POST':
      return agent.post(url);
    case 'PUT':
      return agent.put(url);
    case 'PATCH':
      return agent.patch(url);
    case 'DELETE':
      return agent.delete(url);
    case 'OPTIONS':
      return agent.options(url);
    case 'TRACE':
      return agent.trace(url);
  }
}

/** Keeps the raw bytes whatever the content type says. */
function rawParser(res: NodeJS.ReadableStream, callback: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
  res.on('error', (err: Error) => callback(err, Buffer.concat(chunks)));
}

async function send(req: Req): Promise<Answer> {
  let r = start(req.method, urlOf(req))
    .redirects(0)
    .ok(() => true)
    .buffer(true)
    .parse(rawParser as never)
    // A Buffer goes out as it is, whatever Content-Type says (superagent would JSON-encode it otherwise).
    .serialize(((data: unknown) => data) as never);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== null) r = r.set(name, resolve(value));
  }
  if (req.body !== undefined && req.method !== 'HEAD') r = r.send(bodyBytes(req.body));
  const res = await r;
  const text = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : '';
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The usual headers of a SCIM client; a body goes as `application/scim+json`. */
function std(method: Method, path: string, body?: unknown, query?: QueryPart[]): Req {
  const headers: Record<string, string | null> = {
    Authorization: 'Bearer $TOKEN',
    Accept: 'application/scim+json',
  };
  if (body !== undefined) headers['Content-Type'] = 'application/scim+json';
  return {
    method,
    path: SCIM_BASE + path,
    ...(query ? { query } : {}),
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
}

function header(answer: Answer, name: string): string | undefined {
  const v = answer.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

const is2xx = (status: number) => status >= 200 && status < 300;

function underScim(path: string): boolean {
  const p = path.toLowerCase();
  return p === SCIM_BASE || p.startsWith(`${SCIM_BASE}/`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** What every answer must satisfy. */
function generalProblems(req: Req, a: Answer): string[] {
  const problems: string[] = [];
  // /Me is documented as 501 Not Implemented.
  const notImplemented = a.status === 501 && /^\/scim\/v2\/me\/?$/i.test(req.path);
  if (a.status >= 500 && !notImplemented) problems.push(`server-error: answered ${a.status}`);
  if (!underScim(req.path)) return problems;
  const type = header(a, 'content-type') ?? '';
  const hasBody = req.method !== 'HEAD' && a.status !== 204 && a.status !== 304;
  if ((hasBody || type !== '') && !/^application\/scim\+json/i.test(type))
    problems.push(`not-scim-content-type: a ${a.status} answer is ${type || 'without Content-Type'}`);
  if (is2xx(a.status) || a.status === 304) return problems;
  if (req.method !== 'HEAD') {
    const body = a.json;
    const ok =
      isObject(body) &&
      Array.isArray(body.schemas) &&
      body.schemas.length === 1 &&
      body.schemas[0] === SCIM_ERROR &&
      body.status === String(a.status) &&
      typeof body.detail === 'string';
    if (!ok)
      problems.push(`not-scim-error: the ${a.status} body is not a SCIM Error with status "${a.status}"`);
    if (/\bat .+\.(ts|js):\d+/.test(a.text)) problems.push('stack-trace: the error body holds a stack trace');
  }
  if (a.status === 401 && !/^Bearer\b/i.test(header(a, 'www-authenticate') ?? ''))
    problems.push('401-without-www-authenticate: a 401 without WWW-Authenticate: Bearer');
  if (a.status === 405 && !header(a, 'allow')) problems.push('405-without-allow: a 405 without Allow');
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// What is stored

type Snapshot = Map<string, string>;

/**
 * One md5 per row of the directory's tenant: `u:<id>` (scim_users), `g:<id>` (groups, the target group included),
 * `m:<group>/<user>` (group_members) of this integration; the same with an `x` in front for the tenant's other
 * rows (the sibling integration's, other tenant groups), which no request with this integration's token may touch.
 */
async function snapshot(): Promise<Snapshot> {
  const rows = await t.sql<{ k: string; h: string }>(
    `SELECT CASE WHEN u.integration_id = $2 THEN 'u:' ELSE 'xu:' END || u.id AS k, md5(u::text) AS h
       FROM scim_users u WHERE u.tenant_id = $1
     UNION ALL
     SELECT CASE WHEN g.integration_id = $2 OR g.id = $3 THEN 'g:' ELSE 'xg:' END || g.id, md5(g::text)
       FROM groups g WHERE g.tenant_id = $1
     UNION ALL
     SELECT CASE WHEN (g.integration_id = $2 OR g.id = $3) AND u.integration_id = $2 THEN 'm:' ELSE 'xm:' END
              || m.group_id || '/' || m.user_id, md5(m::text)
       FROM group_members m
       LEFT JOIN groups g ON g.id = m.group_id
       LEFT JOIN scim_users u ON u.id = m.user_id
      WHERE m.tenant_id = $1`,
    [world.tenantId, world.integrationId, world.targetGroupId],
  );
  return new Map(rows.map((r) => [r.k, r.h]));
}

function differences(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [k, h] of after) {
    if (!before.has(k)) out.push(`+${k}`);
    else if (before.get(k) !== h) out.push(`~${k}`);
  }
  for (const k of before.keys()) if (!after.has(k)) out.push(`-${k}`);
  return out;
}

/** Names the fixtures in a row key, so that a problem reads the same from one run to the next. */
function named(key: string): string {
  let out = key;
  world.users.forEach((id, i) => (out = out.replaceAll(id, `$U${i}`)));
  world.groups.forEach((id, i) => (out = out.replaceAll(id, `$G${i}`)));
  return out
    .replaceAll(world.targetGroupId, '$TARGET')
    .replaceAll(world.sibling.userId, '$SIB_U0')
    .replaceAll(world.sibling.groupId, '$SIB_G0');
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: three users, two groups (one with two members), restored through the API after a 2xx write

const FIXTURE_USERS: Record<string, unknown>[] = [
  {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'fuzz.ann@example.com',
    externalId: 'ext-ann',
    name: { givenName: 'Ann', familyName: 'Lee', formatted: 'Ann Lee' },
    displayName: 'Ann Lee',
    title: 'Engineer',
    active: true,
    emails: [
      { value: 'fuzz.ann@example.com', type: 'work', primary: true },
      { value: 'ann@home.example', type: 'home' },
    ],
    phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
    addresses: [{ locality: 'Paris', country: 'FR', type: 'work', primary: true }],
    roles: [{ value: 'admin' }],
    [ENTERPRISE]: { employeeNumber: '1001', department: 'R&D', manager: { value: '$U1' } },
  },
  {
    schemas: [USER_SCHEMA],
    userName: 'fuzz.bob@example.com',
    externalId: 'ext-bob',
    name: { givenName: 'Bob', familyName: 'Stone' },
    active: false,
    emails: [{ value: 'bob@example.com', type: 'work', primary: true }],
  },
  { schemas: [USER_SCHEMA], userName: 'fuzz.kim@example.com', active: true },
];

const FIXTURE_GROUPS: Record<string, unknown>[] = [
  {
    schemas: [GROUP_SCHEMA],
    displayName: 'Fuzz Admins',
    externalId: 'ext-admins',
    members: [{ value: '$U0' }, { value: '$U1' }],
  },
  { schemas: [GROUP_SCHEMA], displayName: 'Fuzz Empty', members: [] },
];

/** Spellings of the fixtures' names that lower-case alike, or almost (Kelvin sign, dotted and dotless i, …). */
const USER_NAME_VARIANTS = [
  'FUZZ.KIM@EXAMPLE.COM',
  'fuzz.\u212Aim@example.com',
  'fuzz.k\u0130m@example.com',
  'fuzz.k\u0131m@example.com',
  'FUZZ.K\u0130M@EXAMPLE.COM',
  '\uff46uzz.kim@example.com',
  'fuzz.kim@example.com ',
  ' fuzz.kim@example.com',
  'fuzz.kim@example.com\t',
  'Fuzz.Ann@Example.Com',
  'fuzz.bob@EXAMPLE.com',
  'fuzz.stranger@example.com',
  'fuzz.stra\u00dfe@example.com',
  'FUZZ.STRASSE@example.com',
];
const GROUP_NAME_VARIANTS = [
  'FUZZ ADMINS',
  'fuzz admins',
  'Fuzz Adm\u0131ns',
  'Fuzz Adm\u0130ns',
  'Fuzz Empty ',
  'FUZZ EMPTY',
];

/** `n` characters that do not compress (PostgreSQL compresses long values, repeated ones to almost nothing). */
function noise(n: number, seed: number, script: 'ascii' | 'cjk'): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-';
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    // CJK ideographs: three bytes each in UTF-8.
    out += script === 'ascii' ? alphabet[r % alphabet.length] : String.fromCharCode(0x4e00 + (r % 20000));
  }
  return out;
}

const LONG = /\$LONG\{(x|é|😀|ascii|cjk):(\d+):(-?\d+)\}/gu;

/**
 * A long string value, as a placeholder expanded when the request is sent (`$LONG{cjk:1000:42}`: a thousand
 * CJK ideographs of noise from seed 42), so that a counterexample stays short: repeated characters, or noise.
 */
const longText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(1000, 1024, 2000, 2700, 3000, 9000, 20000),
    fc.constantFrom('x', 'é', '😀', 'ascii', 'cjk'),
    fc.integer(),
  )
  .map(([n, c, seed]) => `$LONG{${c}:${n}:${c === 'ascii' || c === 'cjk' ? seed : 0}}`);

function expandLong(text: string): string {
  return text.replace(LONG, (_, c: string, n: string, seed: string) =>
    c === 'ascii' || c === 'cjk' ? noise(Number(n), Number(seed), c) : c.repeat(Number(n)),
  );
}

async function must(req: Req, statuses: number[]): Promise<Answer> {
  const a = await send(req);
  if (!statuses.includes(a.status))
    throw new Error(
      `fixture set-up: ${req.method} ${urlOf(req)} answered ${a.status} ${a.text.slice(0, 300)}`,
    );
  return a;
}

/** A fresh tenant and integration with the fixtures, and a sibling integration with a user and a group. */
async function rebuild(): Promise<void> {
  const { tenant, integration } = await createScimDirectory(t);
  const sibling = await createIntegration(t, tenant, { provider: 'entra' });
  world = {
    tenantId: tenant.id,
    integrationId: integration.id,
    token: integration.token,
    adminToken: tenant.adminToken,
    targetGroupId: integration.groupId,
    users: ['', '', ''],
    groups: ['', ''],
    sibling: { token: sibling.token, userId: '', groupId: '' },
  };
  const asSibling = (req: Req): Req => ({
    ...req,
    headers: { ...req.headers, Authorization: 'Bearer $SIB_TOKEN' },
  });
  const sibUser = await must(
    asSibling(std('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'fuzz.sibling@example.com' })),
    [201],
  );
  world.sibling.userId = (sibUser.json as { id: string }).id;
  const sibGroup = await must(
    asSibling(
      std('POST', '/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'Fuzz Admins',
        members: [{ value: '$SIB_U0' }],
      }),
    ),
    [201],
  );
  world.sibling.groupId = (sibGroup.json as { id: string }).id;
  // Ann's manager is Bob: create from the last.
  for (let i = FIXTURE_USERS.length - 1; i >= 0; i--) {
    const a = await must(std('POST', '/Users', FIXTURE_USERS[i]), [201]);
    world.users[i] = (a.json as { id: string }).id;
  }
  for (let i = 0; i < FIXTURE_GROUPS.length; i++) {
    const a = await must(std('POST', '/Groups', FIXTURE_GROUPS[i]), [201]);
    world.groups[i] = (a.json as { id: string }).id;
  }
  pristine = await snapshot();
}

function idsOf(s: Snapshot, prefix: 'u:' | 'g:'): string[] {
  return [...s.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(2));
}

function membersOf(s: Snapshot, groupId: string): string {
  return [...s.entries()]
    .filter(([k]) => k.startsWith(`m:${groupId}/`))
    .map(([k, h]) => `${k}=${h}`)
    .sort()
    .join(',');
}

/**
 * Back to the fixtures through the API: extra resources deleted, changed or missing fixtures put back. When the
 * API cannot do it, the directory is rebuilt and the reason returned (a problem of the request that changed it).
 */
async function restore(now: Snapshot): Promise<string | undefined> {
  if (differences(pristine, now).some((c) => c[1] === 'x')) {
    await rebuild();
    return undefined;
  }
  try {
    for (const id of idsOf(now, 'u:'))
      if (!world.users.includes(id)) await must(std('DELETE', `/Users/${id}`), [204, 404]);
    for (const id of idsOf(now, 'g:'))
      if (!world.groups.includes(id) && id !== world.targetGroupId)
        await must(std('DELETE', `/Groups/${id}`), [204, 404]);
    for (let i = FIXTURE_USERS.length - 1; i >= 0; i--) {
      const key = `u:${world.users[i]}`;
      if (!now.has(key)) {
        const a = await must(std('POST', '/Users', FIXTURE_USERS[i]), [201]);
        world.users[i] = (a.json as { id: string }).id;
      } else if (now.get(key) !== pristine.get(key)) {
        await must(std('PUT', `/Users/${world.users[i]}`, FIXTURE_USERS[i]), [200]);
      }
    }
    const current = await snapshot();
    for (let i = 0; i < FIXTURE_GROUPS.length; i++) {
      const id = world.groups[i];
      if (!current.has(`g:${id}`)) {
        const a = await must(std('POST', '/Groups', FIXTURE_GROUPS[i]), [201]);
        world.groups[i] = (a.json as { id: string }).id;
      } else if (
        current.get(`g:${id}`) !== pristine.get(`g:${id}`) ||
        membersOf(current, id) !== membersOf(pristine, id)
      ) {
        await must(std('PUT', `/Groups/${id}`, FIXTURE_GROUPS[i]), [200]);
      }
    }
    pristine = await snapshot();
    return undefined;
  } catch (e) {
    await rebuild();
    return `unrestorable-after-write: putting the fixtures back failed: ${(e as Error).message}`;
  }
}

/** After a 2xx write: the lists and every changed resource still read back. */
async function readBack(now: Snapshot, changes: string[]): Promise<string[]> {
  const problems: string[] = [];
  const ours = changes.filter((c) => c[1] !== 'x');
  const collections = new Set(ours.map((c) => (c[1] === 'u' ? 'Users' : 'Groups')));
  for (const collection of collections) {
    const a = await send(std('GET', `/${collection}`, undefined, [{ name: 'count', value: '1000' }]));
    if (a.status !== 200 || !isObject(a.json) || !Array.isArray(a.json.Resources))
      problems.push(
        `unreadable-after-write: GET /${collection} then answered ${a.status} ${a.text.slice(0, 200)}`,
      );
  }
  for (const change of ours) {
    const key = change.slice(1);
    if (!now.has(key) || key.startsWith('m:') || key === `g:${world.targetGroupId}`) continue;
    const path = `${key.startsWith('u:') ? '/Users' : '/Groups'}/${key.slice(2)}`;
    const a = await send(std('GET', path));
    if (a.status !== 200)
      problems.push(
        `unreadable-after-write: GET ${named(path)} then answered ${a.status} ${a.text.slice(0, 200)}`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Running one generated request

interface Collected {
  signature: string;
  size: number;
  message: string;
}
const collected = new Map<string, Map<string, Collected>>();

function describeReq(req: Req): string {
  const query = (req.query ?? []).map((p) => ('raw' in p ? p.raw : `${p.name}=${p.value}`)).join('&');
  const headers = Object.entries(req.headers)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  const body =
    req.body === undefined
      ? ''
      : typeof req.body === 'string'
        ? ` body=${JSON.stringify(req.body.length > 600 ? `${req.body.slice(0, 600)}…(${req.body.length} chars)` : req.body)}`
        : ` body=<${req.body.length} bytes: ${Buffer.from(req.body.slice(0, 64)).toString('hex')}>`;
  return `${req.method} ${req.path}${query ? `?${JSON.stringify(query).slice(1, -1)}` : ''} [${headers}]${body}`;
}

function routeOf(path: string): string {
  return path
    .replace(/\$(U|G)\d|\$OTHER_U0/g, ':id')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id');
}

const WHERE_MATTERS = new Set([
  'server-error',
  'not-scim-content-type',
  'not-scim-error',
  'stack-trace',
  '401-without-www-authenticate',
  '405-without-allow',
  'changed-on-reject',
  'unreadable-after-write',
  'unrestorable-after-write',
]);

function report(property: string, req: Req, a: Answer, problems: string[]): void {
  const message =
    `${problems.join('\n  ')}\n  request: ${describeReq(req)}\n` +
    `  answer: ${a.status} ${header(a, 'content-type') ?? '(no Content-Type)'} ${a.text.slice(0, 400)}`;
  if (!COLLECT) throw new Error(message);
  const byProperty = collected.get(property) ?? new Map<string, Collected>();
  collected.set(property, byProperty);
  for (const problem of problems) {
    const code = problem.split(':')[0];
    // Where it happened matters for a crash or a malformed answer; the other rules say what went wrong.
    const signature = WHERE_MATTERS.has(code)
      ? `${code} | ${req.method} ${routeOf(req.path)} | ${a.status}`
      : routeOf(problem).replace(/\d+/g, 'N');
    const size = describeReq(req).length;
    const known = byProperty.get(signature);
    if (!known || size < known.size) byProperty.set(signature, { signature, size, message });
  }
}

/** Statuses answered per property (printed with FUZZ_COLLECT=1, to see what the generators reach). */
const statuses = new Map<string, Map<number, number>>();

function flush(property: string): void {
  if (COLLECT) {
    const seen = [...(statuses.get(property) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
    console.log(`${property}: ${seen.map(([s, n]) => `${s}×${n}`).join(' ')}`);
  }
  const found = [...(collected.get(property)?.values() ?? [])];
  if (found.length === 0) return;
  const text = found.map((f) => `[${f.signature}]\n  ${f.message}`).join('\n\n');
  throw new Error(`${found.length} distinct failure(s) of "${property}" (seed ${SEED}):\n\n${text}`);
}

/** Sends one generated request and checks everything it must satisfy; restores the fixtures after a change. */
async function exercise(property: string, req: Req, expectations: Expectation[] = []): Promise<void> {
  const a = await send(req);
  const seen = statuses.get(property) ?? new Map<number, number>();
  statuses.set(property, seen.set(a.status, (seen.get(a.status) ?? 0) + 1));
  const problems = generalProblems(req, a);
  for (const e of expectations) {
    const problem = e(a);
    if (problem) problems.push(problem);
  }
  const now = await snapshot();
  const changes = differences(pristine, now);
  if (changes.length > 0) {
    const listed = changes.map(named).join(' ');
    const ours = changes.filter((c) => c[1] !== 'x');
    if (req.foreign) {
      // Another integration's token may change its own directory (the sibling's rows), never this one.
      if (ours.length > 0)
        problems.push(`foreign-write: another integration's token changed ${ours.map(named).join(' ')}`);
    } else if (ours.length < changes.length) {
      const outside = changes.filter((c) => c[1] === 'x').map(named);
      problems.push(`cross-directory-write: changed rows of another directory: ${outside.join(' ')}`);
    }
    if (!is2xx(a.status))
      problems.push(`changed-on-reject: the ${a.status} answer came with stored changes ${listed}`);
    else if (!req.foreign) problems.push(...(await readBack(now, changes)));
    const unrestorable = await restore(now);
    if (unrestorable) problems.push(unrestorable);
  }
  if (problems.length > 0) report(property, req, a, problems);
}

/** One property: fast-check drives `exercise` (or a custom check) over the generated requests. */
async function check<T>(
  property: string,
  arbitrary: fc.Arbitrary<T>,
  run: (value: T) => Promise<void>,
  runs: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      await run(value);
    }),
    options(runs),
  );
  flush(property);
}

// ---------------------------------------------------------------------------------------------------------------
// Generators: the RFC 7644 §3.4.2.2 filter grammar, and garbage

function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

const USER_ATTRS = words(`
  userName displayName nickName title userType preferredLanguage locale timezone active externalId
  id profileUrl password name name.givenName name.familyName name.formatted meta meta.created
  meta.lastModified meta.resourceType meta.version meta.location emails emails.value emails.type
  emails.primary emails.display phoneNumbers phoneNumbers.value phoneNumbers.type addresses
  addresses.locality addresses.primary groups groups.value groups.display groups.$ref roles.value
  entitlements.value ims.value photos.value x509Certificates.value
`);
const ENTERPRISE_ATTRS = ['employeeNumber', 'department', 'manager', 'manager.value', 'manager.displayName'];
/** What a list can be sorted by. */
const USER_SORTABLE = words(`
  userName displayName externalId name.givenName name.familyName title id meta.created
  meta.lastModified
`);
const GROUP_SORTABLE = ['displayName', 'externalId', 'id', 'meta.created', 'meta.lastModified'];
const GROUP_ATTRS = words(`
  displayName externalId id members members.value members.display members.type members.$ref
  meta.created meta.lastModified
`);
const MULTI_VALUED = words(`
  emails phoneNumbers addresses groups roles members ims photos x509Certificates name userName
`);
const SUB_ATTRS = ['value', 'type', 'primary', 'display', '$ref', 'locality', 'givenName'];

/** `arbitrary` about once in `n` draws, otherwise null (fc.option's `freq` is the other way round). */
function rarely<T>(arbitrary: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

const sep = fc.oneof({ weight: 10, arbitrary: fc.constant(' ') }, fc.constantFrom('  ', '\t', ' \n '));
const attrName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/);
const urnPrefix = fc.oneof(
  fc.constantFrom(
    USER_SCHEMA,
    ENTERPRISE,
    GROUP_SCHEMA,
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User',
  ),
  fc.stringMatching(/^urn:[a-z0-9.:-]{1,20}$/),
);

/** Attribute paths: known ones in any letter case, schema-qualified ones, made-up ones and malformed ones. */
const attrPath = fc.oneof(
  { weight: 6, arbitrary: fc.mixedCase(fc.constantFrom(...USER_ATTRS, ...GROUP_ATTRS)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(USER_SCHEMA, GROUP_SCHEMA), fc.constantFrom(...USER_ATTRS, ...GROUP_ATTRS))
      .map(([urn, a]) => `${urn}:${a}`),
  },
  { weight: 2, arbitrary: fc.constantFrom(...ENTERPRISE_ATTRS).map((a) => `${ENTERPRISE}:${a}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(rarely(urnPrefix, 4), attrName, rarely(attrName, 3))
      .map(([urn, a, sub]) => `${urn ? `${urn}:` : ''}${a}${sub ? `.${sub}` : ''}`),
  },
  fc.constantFrom(
    '1abc',
    'a/b',
    'emails..value',
    '.value',
    'name.',
    'a.b.c',
    'urn:',
    'urn:x:',
    '$ref',
    'ü',
    '-a',
  ),
);

const jsonStringLiteral = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map((s) => JSON.stringify(s)) },
  fc.constantFrom(
    '"work"',
    '"fuzz.ann@example.com"',
    '"FUZZ.ANN@EXAMPLE.COM"',
    '"Ann"',
    '"@example.com"',
    '"a\\"b"',
    '"\\\\"',
    '"\\u00e9"',
    '"\\u0000"',
    '"\\ud800"',
    '"\\/"',
    '"é"',
    '"😀"',
    '""',
    '"%"',
    '"_"',
    `"' OR 1=1 --"`,
    '"\\n\\t"',
    '"$U0"',
    '"$G0"',
    '"$OTHER_U0"',
    '"$SIB_U0"',
    '"$SIB_G0"',
  ),
);
const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.000001', '-0', '1E5', '1e-400'),
);
const dateLiteral = fc.oneof(
  fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => `"${d.toISOString()}"`),
  fc.constantFrom(
    '"2026-01-01"',
    '"2026-13-40T25:61:61Z"',
    '"2026-01-01T00:00:00+05:30"',
    '"yesterday"',
    '"0000-00-00T00:00:00Z"',
    '"+275760-09-13T00:00:00.000Z"',
    '"-271821-04-20T00:00:00Z"',
  ),
);
const compValue = fc.oneof(
  { weight: 5, arbitrary: jsonStringLiteral },
  { weight: 2, arbitrary: numberLiteral },
  { weight: 2, arbitrary: fc.mixedCase(fc.constantFrom('true', 'false', 'null')) },
  { weight: 2, arbitrary: dateLiteral },
  fc.uuid().map((u) => `"${u}"`),
  fc.constantFrom(
    'work',
    "'work'",
    '"unterminated',
    '"\\x41"',
    '"\\u12"',
    'True1',
    '1.2.3',
    '--1',
    '"a" "b"',
  ),
);
const compareOp = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.mixedCase(fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le')),
  },
  fc.constantFrom('=', '==', 'like', 'in', 'regex', 'pr'),
);

const attrExp = fc.oneof(
  fc.tuple(attrPath, sep, fc.mixedCase(fc.constant('pr'))).map((p) => p.join('')),
  { weight: 4, arbitrary: fc.tuple(attrPath, sep, compareOp, sep, compValue).map((p) => p.join('')) },
);
const subAttrExp = fc.oneof(
  fc
    .tuple(fc.mixedCase(fc.constantFrom(...SUB_ATTRS)), sep, fc.mixedCase(fc.constant('pr')))
    .map((p) => p.join('')),
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.mixedCase(fc.constantFrom(...SUB_ATTRS)), sep, compareOp, sep, compValue)
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: attrExp },
);

const logicOp = fc.mixedCase(fc.constantFrom('and', 'or'));
const notKeyword = fc
  .tuple(fc.mixedCase(fc.constant('not')), fc.constantFrom(' ', '', '  '))
  .map((p) => p.join(''));
const filterDepth = fc.createDepthIdentifier();
const valFilterDepth = fc.createDepthIdentifier();

const { filter: grammarFilter } = fc.letrec<{ filter: string; valFilter: string }>((tie) => ({
  filter: fc.oneof(
    { maxDepth: 4, depthIdentifier: filterDepth },
    { weight: 5, arbitrary: attrExp },
    fc.tuple(tie('filter'), sep, logicOp, sep, tie('filter')).map((p) => p.join('')),
    fc.tuple(notKeyword, tie('filter')).map(([n, f]) => `${n}(${f})`),
    tie('filter').map((f) => `(${f})`),
    fc
      .tuple(
        fc.mixedCase(fc.constantFrom(...MULTI_VALUED)),
        tie('valFilter'),
        rarely(fc.constantFrom(...SUB_ATTRS), 6),
      )
      .map(([a, f, sub]) => `${a}[${f}]${sub ? `.${sub}` : ''}`),
  ),
  valFilter: fc.oneof(
    { maxDepth: 2, depthIdentifier: valFilterDepth },
    { weight: 4, arbitrary: subAttrExp },
    fc.tuple(tie('valFilter'), sep, logicOp, sep, tie('valFilter')).map((p) => p.join('')),
    fc.tuple(notKeyword, tie('valFilter')).map(([n, f]) => `${n}(${f})`),
  ),
}));

type Mutation = {
  kind: 'delete' | 'insert' | 'truncate' | 'duplicate';
  at: number;
  len: number;
  text: string;
};
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'truncate', 'duplicate'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 6 }),
  text: fc.oneof(
    fc.constantFrom(
      '(',
      ')',
      '[',
      ']',
      '"',
      '\\',
      ' ',
      '.',
      ':',
      'and',
      'or',
      'not',
      'eq',
      'pr',
      '""',
      '\u0000',
      '%',
    ),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
});

function mutate(text: string, mutations: Mutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'truncate') s = s.slice(0, at);
    else s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
  }
  return s;
}

const grammarish = fc.string({
  unit: fc.constantFrom(
    '(',
    ')',
    '[',
    ']',
    '"',
    '\\',
    ' ',
    '.',
    ':',
    'a',
    '1',
    '$',
    'userName',
    'emails',
    ' eq ',
    ' pr',
    ' and ',
    ' or ',
    'not',
    'true',
    'null',
    '"x"',
  ),
  maxLength: 20,
});

/** Sized so that even percent-encoded in a URL they stay under Node's 16 KiB header limit (a 431 is Node's). */
const extremeFilter = fc.oneof(
  fc.integer({ min: 1, max: 1500 }).map((n) => `${'('.repeat(n)}userName pr${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 700 }).map((n) => `${'not ('.repeat(n)}userName pr${')'.repeat(n)}`),
  fc
    .integer({ min: 1, max: 200 })
    .map((n) => Array.from({ length: n }, (_, i) => `userName eq "u${i}"`).join(' or ')),
  fc.integer({ min: 1, max: 60 }).map((n) => `emails[${'value pr and '.repeat(n)}type pr]`),
  fc.integer({ min: 1, max: 5000 }).map((n) => `userName eq "${'x'.repeat(n)}"`),
  fc.constantFrom(
    '',
    ' ',
    'emails[',
    'emails[type eq "work"',
    '(userName pr',
    'userName pr)',
    '[]',
    '""',
    '()',
  ),
);

// ---------------------------------------------------------------------------------------------------------------
// Generators: well-typed filters (valid by the schema: they must be answered 200)

const anyStringLiteral = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom(
      'fuzz',
      'fuzz.ann@example.com',
      'Ann',
      'work',
      '@example.com',
      'a"b',
      'a\\b',
      '%',
      '_',
      'é',
    ),
  )
  .map((s) => JSON.stringify(s));

function typedExp(
  strings: string[],
  booleans: string[],
  dates: string[],
  present: string[],
): fc.Arbitrary<string> {
  const name = (names: string[]) =>
    fc.constantFrom(...names).chain((n) => {
      const urn = /^(urn:.*):([^:]+)$/.exec(n);
      return urn
        ? fc.mixedCase(fc.constant(urn[2])).map((a) => `${urn[1]}:${a}`)
        : fc.mixedCase(fc.constant(n));
    });
  const op = (ops: string[]) => fc.mixedCase(fc.constantFrom(...ops));
  const choices: fc.WeightedArbitrary<string>[] = [];
  if (strings.length > 0)
    choices.push({
      weight: 4,
      arbitrary: fc
        .tuple(name(strings), op(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']), anyStringLiteral)
        .map(([a, o, v]) => `${a} ${o} ${v}`),
    });
  if (booleans.length > 0)
    choices.push({
      weight: 1,
      arbitrary: fc
        .tuple(name(booleans), op(['eq', 'ne']), fc.mixedCase(fc.constantFrom('true', 'false')))
        .map(([a, o, v]) => `${a} ${o} ${v}`),
    });
  if (dates.length > 0)
    choices.push({
      weight: 1,
      arbitrary: fc
        .tuple(
          name(dates),
          op(['eq', 'ne', 'gt', 'ge', 'lt', 'le']),
          fc.date({
            min: new Date('1970-01-01T00:00:00Z'),
            max: new Date('2100-01-01T00:00:00Z'),
            noInvalidDate: true,
          }),
        )
        .map(([a, o, d]) => `${a} ${o} "${d.toISOString()}"`),
    });
  if (present.length > 0)
    choices.push({
      weight: 1,
      arbitrary: fc.tuple(name(present), fc.mixedCase(fc.constant('pr'))).map(([a, p]) => `${a} ${p}`),
    });
  return fc.oneof(...choices);
}

const typedUserExp = fc.oneof(
  {
    weight: 4,
    arbitrary: typedExp(
      [
        'userName',
        'displayName',
        'nickName',
        'title',
        'externalId',
        'name.givenName',
        'name.familyName',
        'emails.value',
        'emails.type',
        'phoneNumbers.value',
        'addresses.locality',
        `${ENTERPRISE}:department`,
        `${USER_SCHEMA}:userName`,
      ],
      ['active', 'emails.primary'],
      ['meta.created', 'meta.lastModified'],
      ['userName', 'name', 'emails', 'title', 'groups', `${ENTERPRISE}:manager`, 'externalId'],
    ),
  },
  fc
    .tuple(
      fc.constantFrom('emails', 'phoneNumbers'),
      typedExp(['value', 'type', 'display'], ['primary'], [], ['value', 'type', 'primary']),
    )
    .map(([a, f]) => `${a}[${f}]`),
  typedExp(['locality', 'country', 'type'], ['primary'], [], ['locality']).map((f) => `addresses[${f}]`),
  fc.constantFrom(
    'id eq "$U0"',
    'groups.value eq "$G0"',
    'groups[value eq "$G0"]',
    `id eq "${NO_SUCH_ID}"`,
    'id eq "$SIB_U0"',
    'groups.value eq "$SIB_G0"',
    `${ENTERPRISE}:manager.value eq "$SIB_U0"`,
  ),
);
const typedGroupExp = fc.oneof(
  {
    weight: 4,
    arbitrary: typedExp(
      ['displayName', 'externalId', `${GROUP_SCHEMA}:displayName`],
      [],
      ['meta.created', 'meta.lastModified'],
      ['displayName', 'members', 'externalId'],
    ),
  },
  fc.constantFrom(
    'id eq "$G0"',
    'id eq "$SIB_G0"',
    'members[value eq "$SIB_U0"]',
    'members.value eq "$U0"',
    'members[value eq "$U1"]',
    `members eq "${NO_SUCH_ID}"`,
  ),
);

function typedFilter(exp: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const depth = fc.createDepthIdentifier();
  return fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { maxDepth: 3, depthIdentifier: depth },
      { weight: 3, arbitrary: exp },
      fc.tuple(tie('f'), logicOp, tie('f')).map(([a, o, b]) => `${a} ${o} ${b}`),
      fc.tuple(notKeyword, tie('f')).map(([n, f]) => `${n}(${f})`),
      tie('f').map((f) => `(${f})`),
    ),
  })).f;
}

const wellTyped = fc.oneof(
  fc.tuple(fc.constant('Users'), typedFilter(typedUserExp)),
  fc.tuple(fc.constant('Groups'), typedFilter(typedGroupExp)),
);

const filterText = fc.oneof(
  { weight: 6, arbitrary: grammarFilter },
  {
    weight: 3,
    arbitrary: fc
      .tuple(grammarFilter, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([f, m]) => mutate(f, m)),
  },
  { weight: 2, arbitrary: grammarish },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: extremeFilter },
);

// ---------------------------------------------------------------------------------------------------------------
// Generators: list parameters

const attrList = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(attrPath, { maxLength: 4 }), fc.constantFrom(',', ', ', ' ,'))
      .map(([a, s]) => a.join(s)),
  },
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', ',', ',,', 'members', 'userName,,emails', '*', 'meta', 'id', 'groups', 'schemas'),
);
const integerText = fc.oneof(
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.integer().map(String),
  fc.bigInt().map(String),
  fc.constantFrom(
    '',
    ' 2',
    '1.5',
    '1e3',
    '0x10',
    '9007199254740993',
    '-0',
    'NaN',
    'Infinity',
    'many',
    '1,2',
    '+1',
  ),
);
const sortOrderText = fc.oneof(
  fc.mixedCase(fc.constantFrom('ascending', 'descending')),
  fc.string({ maxLength: 12 }),
);

const LIST_PARAMS = [
  'filter',
  'attributes',
  'excludedAttributes',
  'sortBy',
  'sortOrder',
  'startIndex',
  'count',
] as const;
const sortByText = fc.oneof(attrPath, fc.string({ maxLength: 12 }));

/** Any JSON value, for a `.search` body parameter of the wrong type. */
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Mostly a valid value, sometimes anything. */
function mostly<T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: other });
}

function listParams(collection: 'Users' | 'Groups') {
  const known = collection === 'Users' ? USER_ATTRS : GROUP_ATTRS;
  const validList = fc
    .array(fc.constantFrom(...known), { minLength: 1, maxLength: 3 })
    .map((a) => a.join(','));
  return fc.record(
    {
      filter: fc.oneof(
        { weight: 2, arbitrary: typedFilter(collection === 'Users' ? typedUserExp : typedGroupExp) },
        { weight: 3, arbitrary: filterText },
      ),
      attributes: mostly(validList, attrList),
      excludedAttributes: mostly(validList, attrList),
      sortBy: mostly(
        fc.mixedCase(fc.constantFrom(...(collection === 'Users' ? USER_SORTABLE : GROUP_SORTABLE))),
        sortByText,
      ),
      sortOrder: mostly(fc.mixedCase(fc.constantFrom('ascending', 'descending')), sortOrderText),
      startIndex: mostly(fc.integer({ min: 1, max: 5 }).map(String), integerText),
      count: mostly(fc.integer({ min: 0, max: 20 }).map(String), integerText),
    },
    { requiredKeys: [] },
  );
}

const rawQueryGarbage = fc.constantFrom(
  '%',
  '%zz',
  'filter=%FF%FE',
  'filter=%C0%80',
  'filter=%ED%A0%80',
  'filter=userName%20eq%20%22a%00b%22',
  'count=1&count=2',
  'filter=a&filter=b',
  'filter',
  '=x',
  '&&',
  'aadOptscim062020',
  'filter=userName+eq+%22fuzz.ann%40example.com%22',
  '__proto__=1',
  'constructor[prototype]=1',
);

/** `GET /Users|Groups?…`: every parameter in any letter case, sometimes repeated, plus garbage parts. */
const listGet = fc
  .constantFrom<'Users' | 'Groups'>('Users', 'Groups')
  .chain((collection) =>
    fc.tuple(
      fc.constant(collection),
      listParams(collection),
      // A parameter name in upper case now and then (names are case-insensitive).
      fc.array(
        fc.nat(5).map((n) => n === 0),
        { minLength: 7, maxLength: 7 },
      ),
      rarely(fc.array(rawQueryGarbage, { minLength: 1, maxLength: 2 }), 5),
    ),
  )
  .map(([collection, params, upper, garbage]): Req => {
    const query: QueryPart[] = [];
    LIST_PARAMS.forEach((name, i) => {
      const value = params[name];
      if (value !== undefined) query.push({ name: upper[i] ? name.toUpperCase() : name, value });
    });
    for (const raw of garbage ?? []) query.push({ raw });
    return std('GET', `/${collection}`, undefined, query);
  });

/** `POST /Users|Groups/.search` bodies: the same parameters, and values of every JSON type. */
const listSearch = fc
  .constantFrom<'Users' | 'Groups'>('Users', 'Groups')
  .chain((collection) =>
    fc.tuple(
      fc.constant(collection),
      fc.oneof(
        { weight: 16, arbitrary: fc.constant<unknown>([SEARCH_REQUEST]) },
        fc.constant<unknown>(undefined),
        anyJson,
        fc.constant<unknown>([SEARCH_REQUEST.toUpperCase()]),
      ),
      fc.record(
        {
          filter: fc.oneof(
            { weight: 2, arbitrary: typedFilter(collection === 'Users' ? typedUserExp : typedGroupExp) },
            { weight: 3, arbitrary: filterText },
            anyJson,
          ),
          attributes: mostly<unknown>(fc.array(attrPath, { maxLength: 3 }), fc.oneof(attrList, anyJson)),
          excludedAttributes: mostly<unknown>(
            fc.array(attrPath, { maxLength: 3 }),
            fc.oneof(attrList, anyJson),
          ),
          sortBy: mostly<unknown>(attrPath, anyJson),
          sortOrder: mostly<unknown>(sortOrderText, anyJson),
          startIndex: mostly<unknown>(fc.integer({ min: -5, max: 20 }), fc.oneof(integerText, anyJson)),
          count: mostly<unknown>(fc.integer({ min: -5, max: 20 }), fc.oneof(integerText, anyJson)),
        },
        { requiredKeys: [] },
      ),
    ),
  )
  .map(([collection, schemas, params]): Req => {
    const body: Record<string, unknown> = schemas === undefined ? {} : { schemas };
    Object.assign(body, params);
    return std('POST', `/${collection}/.search`, body);
  });

/** `GET /Users/:id`, `GET /Groups/:id` with `attributes` / `excludedAttributes` of any value. */
const oneGet = fc
  .constantFrom<'Users' | 'Groups'>('Users', 'Groups')
  .chain((collection) => {
    const list = fc
      .array(fc.constantFrom(...(collection === 'Users' ? USER_ATTRS : GROUP_ATTRS)), {
        minLength: 1,
        maxLength: 3,
      })
      .map((a) => a.join(','));
    return fc.tuple(
      fc.constant(collection),
      fc.record(
        { attributes: mostly(list, attrList), excludedAttributes: mostly(list, attrList) },
        { requiredKeys: [] },
      ),
    );
  })
  .chain(([collection, params]) =>
    fc
      .oneof(
        { weight: 4, arbitrary: fc.constant('') },
        fc.constantFrom('~upper', '~braces', '~bare', '~urn', '~suffix', '~nul'),
      )
      .map((spelling): Req =>
        std(
          'GET',
          `/${collection}/${collection === 'Users' ? '$U0' : '$G0'}${spelling}`,
          undefined,
          Object.entries(params).map(([name, value]) => ({ name, value })),
        ),
      ),
  );

/** One resource answers 200 with itself, or 400; an id in another spelling may also be unknown (404). */
const oneAnswer =
  (req: Req): Expectation =>
  (a) => {
    if (a.status === 400 || (a.status === 404 && req.path.includes('~'))) return undefined;
    if (a.status !== 200) return `get-status: a GET of a resource answered ${a.status}, not 200 or 400`;
    const id = isObject(a.json) ? a.json.id : undefined;
    return typeof id === 'string' && pristine.has(`u:${id}`) !== pristine.has(`g:${id}`)
      ? undefined
      : 'get-shape: a 200 resource without its id';
  };

/** A list answers 200 with a ListResponse of this directory's resources, or 400. */
const listAnswer: Expectation = (a) => {
  if (a.status === 400) return undefined;
  if (a.status !== 200) return `list-status: a list or search answered ${a.status}, not 200 or 400`;
  const body = a.json;
  if (
    !isObject(body) ||
    !Array.isArray(body.schemas) ||
    body.schemas[0] !== LIST_RESPONSE ||
    typeof body.totalResults !== 'number' ||
    typeof body.startIndex !== 'number' ||
    body.itemsPerPage !== (Array.isArray(body.Resources) ? body.Resources.length : 0)
  )
    return 'list-shape: a 200 list is not a ListResponse';
  for (const r of (body.Resources ?? []) as unknown[]) {
    const id = isObject(r) ? r.id : undefined;
    if (typeof id !== 'string' || (!pristine.has(`u:${id}`) && !pristine.has(`g:${id}`)))
      return `list-leak: a listed resource (${JSON.stringify(id)}) is not of this directory`;
  }
  return undefined;
};

// ---------------------------------------------------------------------------------------------------------------
// Generators: PATCH bodies

const memberRef = fc.constantFrom(
  '$U0',
  '$U1',
  '$U2',
  NO_SUCH_ID,
  '$OTHER_U0',
  '$SIB_U0',
  '$G0',
  'not-a-uuid',
  '',
);

const patchPath = fc.oneof(
  { weight: 5, arbitrary: fc.mixedCase(fc.constantFrom(...USER_ATTRS, ...GROUP_ATTRS)) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'emails[type eq "work"]',
      'emails[type eq "work"].value',
      'emails[primary eq true].display',
      'phoneNumbers[type eq "mobile"].value',
      'addresses[type eq "work"].locality',
      'members[value eq "$U0"]',
      'members[value eq "$U1"].display',
      `members[value eq "${NO_SUCH_ID}"]`,
      'members[value eq "$OTHER_U0"]',
      'members[value eq "$SIB_U0"]',
      `${ENTERPRISE}:manager`,
      `${ENTERPRISE}:manager.value`,
      `${ENTERPRISE}:department`,
      ENTERPRISE,
      `${USER_SCHEMA}:name.givenName`,
      `${GROUP_SCHEMA}:displayName`,
      'name.givenName',
      'groups',
      'id',
      'meta.lastModified',
      'schemas',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.mixedCase(fc.constantFrom(...MULTI_VALUED)),
        subAttrExp,
        rarely(fc.mixedCase(fc.constantFrom(...SUB_ATTRS)), 3),
      )
      .map(([a, f, sub]) => `${a}[${f}]${sub ? `.${sub}` : ''}`),
  },
  { weight: 2, arbitrary: attrPath },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'emails[type eq "work"].value',
          'members[value eq "$U0"]',
          `${ENTERPRISE}:manager.value`,
        ),
        fc.array(mutation, { minLength: 1, maxLength: 2 }),
      )
      .map(([p, m]) => mutate(p, m)),
  },
  fc.string({ maxLength: 16 }),
);

const patchValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      true,
      false,
      'True',
      'False',
      'true',
      null,
      '',
      'x',
      0,
      1,
      -1,
      1e308,
      'fuzz.new@example.com',
      [],
      {},
      [null],
      { value: '$U1' },
      { active: false },
      { active: 'False' },
      { userName: 'fuzz.renamed@example.com' },
      { userName: '' },
      { userName: 7 },
      { displayName: 'Fuzz Renamed' },
      { displayName: null },
      { 'name.givenName': 'Renamed' },
      { [`${ENTERPRISE}:department`]: 'Sales' },
      { [`${ENTERPRISE}:manager`]: '$U2' },
      { [ENTERPRISE]: { department: 'Ops' } },
      { emails: [{ value: 'x@example.com', type: 'work', primary: true }] },
      { emails: [{ value: true }] },
      { externalId: 'ext-new' },
      { id: 'mine' },
      { meta: { version: 'W/"9"' } },
      { schemas: ['urn:nope'] },
      { groups: [{ value: '$G1' }] },
      { password: 'Fuzz-pass-1234' },
      { 'urn:ietf:params:scim:schemas:extension:acme:2.0:User': { badge: 'B' } },
      { members: [{ value: '$U2' }] },
      { members: [] },
      { value: 'x', primary: true, type: 'work' },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.array(
      fc.record({ value: memberRef, display: fc.string({ maxLength: 6 }) }, { requiredKeys: ['value'] }),
      { maxLength: 3 },
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  fc.string({ unit: 'binary', maxLength: 8 }),
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A key in its usual spelling, or sometimes in another letter case (Entra sends `Op`, `Value`, …). */
const key = (name: string) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(name) }, fc.mixedCase(fc.constant(name)));

const patchOperation = fc
  .tuple(
    fc.option(
      fc.tuple(
        key('op'),
        fc.oneof(
          { weight: 8, arbitrary: fc.mixedCase(fc.constantFrom('add', 'replace', 'remove')) },
          fc.jsonValue({ maxDepth: 1 }),
        ),
      ),
      { freq: 12 },
    ),
    fc.option(
      fc.tuple(key('path'), fc.oneof({ weight: 8, arbitrary: patchPath }, fc.jsonValue({ maxDepth: 1 }))),
      {
        freq: 2,
      },
    ),
    fc.option(fc.tuple(key('value'), patchValue), { freq: 4 }),
    rarely(fc.tuple(fc.constantFrom('extra', 'Op', 'from', ''), fc.jsonValue({ maxDepth: 1 })), 8),
  )
  .map((entries) => Object.fromEntries(entries.filter((e): e is [string, unknown] => e !== null)));

const patchBodyArb = fc
  .tuple(
    fc.option(
      fc.tuple(
        key('schemas'),
        fc.oneof(
          { weight: 8, arbitrary: fc.constant<unknown>([PATCH_OP]) },
          fc.constant<unknown>([]),
          fc.constant<unknown>(PATCH_OP),
          fc.constant<unknown>([PATCH_OP, 'urn:ietf:params:scim:api:messages:2.0:Error']),
          fc.constant<unknown>([PATCH_OP.toLowerCase()]),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      ),
      { freq: 12 },
    ),
    fc.option(
      fc.tuple(
        key('Operations'),
        fc.oneof(
          { weight: 10, arbitrary: fc.array(patchOperation, { minLength: 1, maxLength: 4 }) },
          fc.constant<unknown>([]),
          patchOperation,
          fc.jsonValue({ maxDepth: 2 }),
        ),
      ),
      { freq: 12 },
    ),
    rarely(fc.tuple(fc.constantFrom('op', 'path', 'value', 'id', 'meta'), fc.jsonValue({ maxDepth: 1 })), 8),
  )
  .map((entries) => Object.fromEntries(entries.filter((e): e is [string, unknown] => e !== null)));

const patchTarget = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('/Users/$U0', '/Users/$U1', '/Users/$U2', '/Groups/$G0', '/Groups/$G1'),
  },
  fc.constantFrom(
    `/Users/${NO_SUCH_ID}`,
    '/Groups/$U0',
    '/Users/$G0',
    '/Users/$OTHER_U0',
    '/Users/$SIB_U0',
    '/Groups/$SIB_G0',
    '/Users/not-a-uuid',
    '/Groups/%20',
    '/Users/$U0/',
    '/Users/$U0~upper',
    '/Groups/$G0~braces',
    '/Users/$U0~bare',
    '/Users/$U0~urn',
    '/Groups/$G0~suffix',
    '/Users/$U0~nul',
  ),
);

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x', 'Fuzzed', 'Renamed', 'R&D', 'é😀', ' ') },
  fc.string({ maxLength: 10 }),
);
const bool = fc.oneof(fc.boolean(), fc.constantFrom<unknown>('True', 'False', 'true', 'false'));

/** Operations an identity provider would send (Okta's, Entra's and RFC 7644's shapes), for users and groups. */
const userOperation = fc.oneof(
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constantFrom(
      'title',
      'displayName',
      'nickName',
      'locale',
      'externalId',
      'name.givenName',
      'name.familyName',
      `${ENTERPRISE}:department`,
      'emails[type eq "work"].value',
      'emails[type eq "home"].value',
      'phoneNumbers[type eq "mobile"].value',
    ),
    value: text,
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constantFrom('active', 'emails[type eq "work"].primary'),
    value: bool,
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constant('emails'),
    value: fc.array(
      fc.record({ value: text, type: fc.constantFrom('work', 'home'), primary: fc.boolean() }),
      { maxLength: 2 },
    ),
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constant(`${ENTERPRISE}:manager`),
    value: fc.constantFrom<unknown>(
      { value: '$U1' },
      '$U2',
      { value: NO_SUCH_ID },
      { value: '$OTHER_U0' },
      { value: '$SIB_U0' },
    ),
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constant('name'),
    value: fc.record({ givenName: text, familyName: text }),
  }),
  fc.record({
    op: fc.constant('replace'),
    path: fc.constant('userName'),
    value: fc.constantFrom('fuzz.renamed@example.com', '', ...USER_NAME_VARIANTS),
  }),
  fc.record({
    op: fc.constant('replace'),
    path: fc.constantFrom('userName', 'externalId', 'displayName', 'title'),
    value: longText,
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    value: fc.oneof(
      fc.record({ active: bool }),
      fc.record({ title: text, 'name.givenName': text }, { requiredKeys: [] }),
      fc.record({ [`${ENTERPRISE}:department`]: text, displayName: text }, { requiredKeys: [] }),
      fc.record({
        [ENTERPRISE]: fc.record(
          { department: text, manager: fc.constant({ value: '$U2' }) },
          { requiredKeys: [] },
        ),
      }),
    ),
  }),
  fc.record({
    op: fc.constant('remove'),
    path: fc.constantFrom(
      'title',
      'name.givenName',
      'emails[type eq "home"]',
      'phoneNumbers',
      `${ENTERPRISE}:manager`,
      'addresses[type eq "work"].locality',
      'roles',
      'userName',
      'active',
    ),
  }),
);
const groupOperation = fc.oneof(
  fc.record({
    op: fc.constantFrom('add', 'replace'),
    path: fc.constant('members'),
    value: fc.array(fc.record({ value: memberRef }), { maxLength: 3 }),
  }),
  fc.record({
    op: fc.constant('remove'),
    path: fc.constantFrom('members[value eq "$U0"]', 'members[value eq "$U2"]', 'members'),
  }),
  fc.record({
    op: fc.constant('remove'),
    path: fc.constant('members'),
    value: fc.array(fc.record({ value: memberRef }), { maxLength: 2 }),
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constantFrom('displayName', 'externalId'),
    value: text,
  }),
  fc.record({
    op: fc.constantFrom('replace', 'add'),
    path: fc.constantFrom('displayName', 'externalId'),
    value: fc.oneof(fc.constantFrom(...GROUP_NAME_VARIANTS), longText),
  }),
  fc.record({
    op: fc.constantFrom('add', 'replace', 'remove'),
    path: fc.constant('members'),
    value: fc.constantFrom(
      [{ value: '$U0' }, { value: '$U0' }],
      [{ value: '$U2' }, { value: '$U2' }],
      [{ value: '$G1' }],
    ),
  }),
  fc.record({
    op: fc.constant('replace'),
    value: fc.record({ displayName: text, externalId: text }, { requiredKeys: [] }),
  }),
);

/** A near-valid operation: the op in any letter case, now and then one attribute replaced by anything. */
function nearValid(operation: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(operation, fc.boolean(), rarely(fc.tuple(fc.constantFrom('op', 'path', 'value'), patchValue), 8))
    .map(([o, recase, swap]) => {
      const out: Record<string, unknown> = { ...o };
      if (recase && typeof out.op === 'string') out.op = out.op[0].toUpperCase() + out.op.slice(1);
      if (swap) out[swap[0]] = swap[1];
      return out;
    });
}

const nearValidPatch = fc.oneof(
  fc.tuple(
    fc.constantFrom('/Users/$U0', '/Users/$U1', '/Users/$U2'),
    fc.array(nearValid(userOperation), { minLength: 1, maxLength: 3 }),
  ),
  fc.tuple(
    fc.constantFrom('/Groups/$G0', '/Groups/$G1'),
    fc.array(nearValid(groupOperation), { minLength: 1, maxLength: 3 }),
  ),
);

const patchRequest = fc
  .tuple(
    fc.oneof(
      fc.tuple(patchTarget, patchBodyArb),
      nearValidPatch.map(([path, ops]) => [path, { schemas: [PATCH_OP], Operations: ops }] as const),
    ),
    rarely(
      fc.constantFrom(
        'excludedAttributes=members',
        'attributes=userName',
        'attributes=members,displayName',
        'attributes=',
      ),
      5,
    ),
  )
  .map(([[path, body], query]): Req => std('PATCH', path, body, query ? [{ raw: query }] : undefined));

// ---------------------------------------------------------------------------------------------------------------
// Generators: bodies of every route, raw and broken

const NEW_USER: Record<string, unknown> = {
  schemas: [USER_SCHEMA, ENTERPRISE],
  userName: 'fuzz.new@example.com',
  externalId: 'ext-new',
  name: {
    formatted: 'New Person',
    familyName: 'Person',
    givenName: 'New',
    middleName: 'Q',
    honorificPrefix: 'Dr',
    honorificSuffix: 'III',
  },
  displayName: 'New Person',
  nickName: 'Newt',
  profileUrl: 'https://example.com/new',
  title: 'Tester',
  userType: 'Employee',
  preferredLanguage: 'en-US',
  locale: 'en-US',
  timezone: 'Europe/Paris',
  active: true,
  password: 'Fuzz-pass-1234',
  emails: [{ value: 'fuzz.new@example.com', type: 'work', primary: true, display: 'work mail' }],
  phoneNumbers: [{ value: '+1 555 0199', type: 'work' }],
  ims: [{ value: 'newt', type: 'xmpp' }],
  photos: [{ value: 'https://example.com/p.png', type: 'photo' }],
  addresses: [
    {
      formatted: '1 Main St',
      streetAddress: '1 Main St',
      locality: 'Springfield',
      region: 'IL',
      postalCode: '62701',
      country: 'US',
      type: 'work',
      primary: true,
    },
  ],
  entitlements: [{ value: 'e1' }],
  roles: [{ value: 'r1', primary: true }],
  x509Certificates: [{ value: 'MIIB' }],
  groups: [{ value: '$G0' }],
  [ENTERPRISE]: {
    employeeNumber: '42',
    costCenter: 'CC',
    organization: 'Org',
    division: 'Div',
    department: 'Dep',
    manager: { value: '$U1' },
  },
};
const NEW_GROUP: Record<string, unknown> = {
  schemas: [GROUP_SCHEMA],
  displayName: 'Fuzz New Group',
  externalId: 'ext-group',
  members: [{ value: '$U0', type: 'User', display: 'Ann' }],
};
const USER_PATCH: Record<string, unknown> = {
  schemas: [PATCH_OP],
  Operations: [
    { op: 'replace', path: 'title', value: 'Fuzzed' },
    { op: 'add', value: { nickName: 'nick' } },
  ],
};
const GROUP_PATCH: Record<string, unknown> = {
  schemas: [PATCH_OP],
  Operations: [
    { op: 'add', path: 'members', value: [{ value: '$U2' }] },
    { op: 'replace', value: { displayName: 'Fuzz Renamed' } },
  ],
};
const USER_SEARCH: Record<string, unknown> = {
  schemas: [SEARCH_REQUEST],
  filter: 'userName sw "fuzz"',
  startIndex: 1,
  count: 10,
  sortBy: 'userName',
  sortOrder: 'descending',
  attributes: ['userName', 'emails'],
};
const GROUP_SEARCH: Record<string, unknown> = {
  schemas: [SEARCH_REQUEST],
  filter: 'displayName sw "Fuzz"',
  excludedAttributes: 'members',
};

interface BodyRoute {
  method: Method;
  path: string;
  template: Record<string, unknown>;
}
const BODY_ROUTES: BodyRoute[] = [
  { method: 'POST', path: '/Users', template: NEW_USER },
  { method: 'PUT', path: '/Users/$U2', template: NEW_USER },
  { method: 'PATCH', path: '/Users/$U1', template: USER_PATCH },
  { method: 'POST', path: '/Groups', template: NEW_GROUP },
  { method: 'PUT', path: '/Groups/$G1', template: NEW_GROUP },
  { method: 'PATCH', path: '/Groups/$G0', template: GROUP_PATCH },
  { method: 'POST', path: '/Users/.search', template: USER_SEARCH },
  { method: 'POST', path: '/Groups/.search', template: GROUP_SEARCH },
];

type JsonPath = (string | number)[];

/** Every attribute and element path in a template (`['emails', 0, 'value']`, …). */
function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  }
  return out;
}

const REMOVE = Symbol('remove');

function valueAt(template: unknown, path: JsonPath): unknown {
  let node = template;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node;
}

function setAt(template: Record<string, unknown>, path: JsonPath, value: unknown): Record<string, unknown> {
  const copy = structuredClone(template);
  let node: unknown = copy;
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[step];
  const last = path[path.length - 1];
  const container = node as Record<string | number, unknown>;
  if (value === REMOVE) {
    if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
    else delete container[last];
  } else {
    container[last] = value;
  }
  return copy;
}

const wrongValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      REMOVE,
      null,
      true,
      false,
      0,
      -1,
      1.5,
      1e308,
      '',
      'x',
      'True',
      'False',
      [],
      {},
      [null],
      [1, 2],
      { value: 1 },
      [[[]]],
      { '': '' },
      '$U0',
      [{ value: '$G0' }],
      'x'.repeat(3000),
    ),
  },
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

/** Attributes stored in indexed columns. */
const INDEXED = ['userName', 'externalId', 'displayName', 'filter'];

const HUGE_NUMBERS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '1e-999',
  '-0',
  '0.0000000000000000000000001',
  '9007199254740993',
  `1${'0'.repeat(400)}`,
];

const jsonishText = fc.string({
  unit: fc.constantFrom(
    '{',
    '}',
    '[',
    ']',
    '"',
    ':',
    ',',
    ' ',
    '\\',
    'a',
    '1',
    'e',
    '-',
    '.',
    'true',
    'null',
    '"userName"',
    '\n',
  ),
  maxLength: 40,
});

/** Raw bodies for one route: broken JSON of every kind, and its template with one attribute of a wrong type. */
function rawBodies(
  template: Record<string, unknown>,
): fc.Arbitrary<{ kind: string; body: string | Uint8Array }> {
  const text = JSON.stringify(template);
  const paths = pathsOf(template);
  const topKeys = Object.keys(template);
  const indexed: JsonPath[] = INDEXED.filter((k) => typeof template[k] === 'string').map((k) => [k]);
  const withKind = (kind: string) => (body: string | Uint8Array) => ({ kind, body });
  return fc.oneof(
    fc.constant({ kind: 'valid', body: text }),
    {
      weight: 10,
      arbitrary: fc.tuple(fc.constantFrom(...paths), wrongValue).map(([p, v]) => ({
        kind: `wrong type at ${p.join('.')}`,
        body: JSON.stringify(setAt(template, p, v)),
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .nat()
        .map((n) => text.slice(0, n % text.length))
        .map(withKind('truncated')),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map(withKind('garbage text')) },
    { weight: 2, arbitrary: jsonishText.map(withKind('json-ish garbage')) },
    fc.uint8Array({ maxLength: 80 }).map(withKind('bytes')),
    fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.boolean()).map(([n, arrays, closed]) => {
      const inner = arrays
        ? '['.repeat(n) + ']'.repeat(closed ? n : n - 1)
        : '{"a":'.repeat(n) + '1' + '}'.repeat(closed ? n : n - 1);
      return { kind: `nested ${n} deep`, body: `${text.slice(0, -1)},"deep":${inner}}` };
    }),
    fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...HUGE_NUMBERS)).map(([p, n]) => ({
      kind: `huge number at ${p.join('.')}`,
      body: JSON.stringify(setAt(template, p, '__RAW__')).replace('"__RAW__"', n),
    })),
    fc
      .tuple(fc.constantFrom(...topKeys), fc.boolean(), fc.jsonValue({ maxDepth: 1 }))
      .map(([k, upper, v]) => ({
        kind: `duplicate key ${k}`,
        body: `${text.slice(0, -1)},${JSON.stringify(upper ? k.toUpperCase() : k)}:${JSON.stringify(v)}}`,
      })),
    fc.constantFrom(
      { kind: 'BOM', body: `\uFEFF${text}` },
      {
        kind: 'UTF-16LE with BOM',
        body: new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])),
      },
      { kind: 'UTF-16LE', body: new Uint8Array(Buffer.from(text, 'utf16le')) },
      { kind: 'Latin-1', body: new Uint8Array(Buffer.from(text.replace('}', ',"x":"café"}'), 'latin1')) },
      {
        kind: 'overlong UTF-8',
        body: new Uint8Array(
          Buffer.concat([
            Buffer.from(text.slice(0, -1) + ',"x":"'),
            Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
            Buffer.from('"}'),
          ]),
        ),
      },
      { kind: 'too large', body: `${text.slice(0, -1)},"x":"${'x'.repeat(BODY_LIMIT_BYTES + 10)}"}` },
      { kind: 'empty', body: '' },
      { kind: 'scalar', body: 'null' },
      { kind: 'scalar', body: '[]' },
      { kind: 'scalar', body: '""' },
      { kind: 'scalar', body: '0' },
      { kind: 'scalar', body: 'true' },
      { kind: 'scalar', body: '{}' },
      { kind: 'scalar', body: '[{}]' },
      { kind: 'scalar', body: ' \n' },
      { kind: 'scalar', body: '{"":1}' },
      { kind: 'proto', body: `${text.slice(0, -1)},"__proto__":{"userName":"p"}}` },
      { kind: 'proto', body: `${text.slice(0, -1)},"constructor":{"prototype":{"x":1}}}` },
    ),
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.oneof(
            // The indexed ones as often as all the others: that is where PostgreSQL's limits are.
            ...[indexed, paths.filter((p) => typeof valueAt(template, p) === 'string')]
              .filter((some) => some.length > 0)
              .map((some) => fc.constantFrom(...some)),
          ),
          longText,
        )
        .map(([p, value]) => ({
          kind: `long string at ${p.join('.')}`,
          body: JSON.stringify(setAt(template, p, value)),
        })),
    },
    ...('userName' in template || 'displayName' in template
      ? [
          fc
            .constantFrom(...('userName' in template ? USER_NAME_VARIANTS : GROUP_NAME_VARIANTS))
            .map((name) => ({
              kind: 'name spelled like a taken one',
              body: JSON.stringify(
                setAt(template, ['userName' in template ? 'userName' : 'displayName'], name),
              ),
            })),
        ]
      : []),
    ...['Operations', 'emails', 'members', 'roles', 'schemas']
      .filter((k) => Array.isArray(template[k]) && (template[k] as unknown[]).length > 0)
      .map((k) =>
        fc.constantFrom(999, 1000, 1001, 2000).map((n) => ({
          kind: `${n} ${k}`,
          body: JSON.stringify(
            setAt(
              template,
              [k],
              Array.from({ length: n }, () => (template[k] as unknown[])[0]),
            ),
          ),
        })),
      ),
    ...('members' in template
      ? [
          fc
            .constantFrom(
              [{ value: '$U0' }, { value: '$U0' }],
              [{ value: '$U0' }, { value: '$U1' }, { value: '$U0', display: 'again' }],
              [{ value: '$U0', type: 'Group' }],
              [{ value: '$G0' }],
              [{ value: '$OTHER_U0' }],
              [{ value: '$SIB_U0' }],
              [{ value: '$U0'.toUpperCase() }],
            )
            .map((members) => ({
              kind: 'members',
              body: JSON.stringify(setAt(template, ['members'], members)),
            })),
        ]
      : []),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).map((s) => ({
      kind: 'unicode value',
      body: JSON.stringify(setAt(template, [topKeys.includes('userName') ? 'userName' : topKeys[1]], s)),
    })),
  );
}

const rawBodyRequest = fc
  .tuple(
    fc.constantFrom(...BODY_ROUTES.keys()),
    fc.constantFrom('application/scim+json', 'application/json', 'application/scim+json; charset=utf-8'),
  )
  .chain(([i, type]) =>
    rawBodies(BODY_ROUTES[i].template).map(({ kind, body }) => ({
      kind,
      req: {
        method: BODY_ROUTES[i].method,
        path: SCIM_BASE + BODY_ROUTES[i].path,
        headers: { Authorization: 'Bearer $TOKEN', Accept: 'application/scim+json', 'Content-Type': type },
        body,
      } satisfies Req,
    })),
  );

// ---------------------------------------------------------------------------------------------------------------
// Generators: headers, credentials, methods and path spellings

const headerChars = fc.constantFrom(
  ...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\t'.split(''),
  'é',
  '\u00ff',
);
const headerGarbage = fc.string({ unit: headerChars, maxLength: 24 });

const mediaType = fc.oneof(
  { weight: 5, arbitrary: fc.mixedCase(fc.constantFrom('application/scim+json', 'application/json')) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/*+json',
      'application/merge-patch+json',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/jsonx',
      'application/json5',
      'text/json',
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'application',
      'application/',
      '/json',
      'json',
      '',
      ' application/json',
      'application/json ',
      'application/scim+json,application/json',
    ),
  },
  headerGarbage,
);
const charset = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'utf-8',
      'UTF-8',
      'utf8',
      '"utf-8"',
      'latin-7',
      'utf-7',
      'utf-9',
      'utf-16',
      'utf-16le',
      'UTF-32',
      'ucs-2',
      'iso-8859-1',
      'us-ascii',
      'windows-1252',
      'koi8-r',
      'binary',
      'base64',
      'hex',
      '',
      'utf-8, latin1',
    ),
  },
  headerGarbage,
);
const mediaParams = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: charset.map((c) => `charset=${c}`) },
    fc.constantFrom(
      'foo=bar',
      'q=0.5',
      'version=2',
      '',
      'boundary=--',
      'charset',
      '=utf-8',
      'CHARSET=UTF-8',
      'charset=utf-8;charset=latin-7',
    ),
    headerGarbage,
  ),
  { maxLength: 3 },
);
const contentType = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(mediaType, mediaParams, fc.constantFrom('; ', ';', ' ; ', ';  '))
      .map(([m, ps, s]) => [m, ...ps].join(s)),
  },
  fc.constant<string | null>(null),
);
const accept = fc.oneof(
  fc.constant<string | null>(null),
  fc.mixedCase(fc.constantFrom('application/scim+json', 'application/json', '*/*', 'application/*')),
  fc.constantFrom(
    'text/html',
    'application/xml',
    'application/scim+json;q=0',
    'application/json;charset=latin-7',
    '',
    'application/scim+json; charset=utf-16',
    'text/html, */*;q=0.1',
  ),
  headerGarbage,
);
const etag = fc.oneof(
  fc.integer({ min: 0, max: 6 }).map((n) => `W/"${n}"`),
  fc.integer({ min: 0, max: 6 }).map((n) => `"${n}"`),
  fc.constantFrom(
    '*',
    '',
    ' ',
    'W/"1", W/"2"',
    'W/"999999999999"',
    'W/1',
    '"',
    'W/""',
    'w/"1"',
    'W/"-1"',
    '"1"x',
  ),
  headerGarbage,
);

interface HeaderRoute {
  method: Method;
  path: string;
  body?: Record<string, unknown>;
}
const HEADER_ROUTES: HeaderRoute[] = [
  { method: 'POST', path: '/Users', body: NEW_USER },
  { method: 'PUT', path: '/Users/$U2', body: { ...FIXTURE_USERS[2], title: 'Put' } },
  { method: 'PATCH', path: '/Users/$U0', body: USER_PATCH },
  { method: 'PATCH', path: '/Groups/$G0', body: GROUP_PATCH },
  { method: 'PUT', path: '/Groups/$G1', body: NEW_GROUP },
  { method: 'POST', path: '/Groups', body: NEW_GROUP },
  { method: 'POST', path: '/Users/.search', body: USER_SEARCH },
  { method: 'GET', path: '/Users/$U0' },
  { method: 'GET', path: '/Groups/$G0' },
  { method: 'GET', path: '/Users' },
  { method: 'GET', path: '/ServiceProviderConfig' },
  { method: 'DELETE', path: '/Users/$U2' },
  { method: 'DELETE', path: '/Groups/$G1' },
];

const headerRequest = fc
  .tuple(fc.constantFrom(...HEADER_ROUTES), contentType, accept, rarely(etag, 3), rarely(etag, 4))
  .map(([route, type, acc, ifMatch, ifNoneMatch]): Req => ({
    method: route.method,
    path: SCIM_BASE + route.path,
    headers: {
      Authorization: 'Bearer $TOKEN',
      Accept: acc,
      'Content-Type': route.body ? type : null,
      'If-Match': ifMatch,
      'If-None-Match': ifNoneMatch,
    },
    ...(route.body ? { body: JSON.stringify(route.body) } : {}),
  }));

/** The version of a fixture a path names, from the database. */
async function versionOf(path: string): Promise<number | undefined> {
  const id = /\/(?:Users|Groups)\/([0-9a-f-]{36})$/.exec(resolve(path))?.[1];
  if (!id) return undefined;
  const rows = await t.sql<{ version: number }>(
    `SELECT version FROM scim_users WHERE id = $1 UNION ALL SELECT version FROM groups WHERE id = $1`,
    [id],
  );
  return rows[0]?.version;
}

type AuthExpectation = 'accepted' | 'refused' | 'either' | 'foreign';
interface AuthVariant {
  expect: AuthExpectation;
  authorization?: string;
  inQuery?: boolean;
  /** The `access_token` query parameter's value: the token unless given. */
  queryValue?: string;
  inBody?: boolean;
  /** The body's `access_token` attribute: the token unless given. */
  bodyValue?: string;
}
const AUTH_VARIANTS: Record<string, AuthVariant> = {
  bearer: { expect: 'accepted', authorization: 'Bearer $TOKEN' },
  'lower-case scheme': { expect: 'accepted', authorization: 'bearer $TOKEN' },
  'upper-case scheme': { expect: 'accepted', authorization: 'BEARER $TOKEN' },
  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
  'two spaces': { expect: 'accepted', authorization: 'Bearer  $TOKEN' },
  tab: { expect: 'either', authorization: 'Bearer\t$TOKEN' },
  'header and query': { expect: 'either', authorization: 'Bearer $TOKEN', inQuery: true },
  // Unknown query parameters are ignored (README): one named access_token is no credential either.
  'header and an unrelated access_token parameter': {
    expect: 'accepted',
    authorization: 'Bearer $TOKEN',
    inQuery: true,
    queryValue: 'unrelated',
  },
  'header and an access_token attribute in the body': {
    expect: 'accepted',
    authorization: 'Bearer $TOKEN',
    inBody: true,
    bodyValue: 'unrelated',
  },
  'no credentials': { expect: 'refused' },
  'token in the query only': { expect: 'refused', inQuery: true },
  'token in the body only': { expect: 'refused', inBody: true },
  'Basic scheme': { expect: 'refused', authorization: 'Basic $BASIC_TOKEN' },
  'Token scheme': { expect: 'refused', authorization: 'Token $TOKEN' },
  'no scheme': { expect: 'refused', authorization: '$TOKEN' },
  'empty bearer': { expect: 'refused', authorization: 'Bearer' },
  'bad checksum': { expect: 'refused', authorization: 'Bearer $BAD_TOKEN' },
  'admin token': { expect: 'refused', authorization: 'Bearer $ADMIN_TOKEN' },
  'operator token': { expect: 'refused', authorization: 'Bearer $OPERATOR_TOKEN' },
  'token twice': { expect: 'refused', authorization: 'Bearer $TOKEN$TOKEN' },
  'quoted token': { expect: 'refused', authorization: 'Bearer "$TOKEN"' },
  'two credentials': { expect: 'refused', authorization: 'Bearer $TOKEN, Bearer $TOKEN' },
  'prefix only': { expect: 'refused', authorization: 'Bearer rc_scim_' },
  'another tenant’s integration': { expect: 'foreign', authorization: 'Bearer $OTHER_TOKEN' },
  'another integration of the tenant': { expect: 'foreign', authorization: 'Bearer $SIB_TOKEN' },
};

/** The simplest first: a counterexample shrinks towards the first route. */
const AUTH_ROUTES: HeaderRoute[] = [
  { method: 'GET', path: '/Users' },
  { method: 'GET', path: '/Schemas' },
  { method: 'GET', path: '/ResourceTypes/User' },
  { method: 'POST', path: '/Groups/.search', body: GROUP_SEARCH },
  ...HEADER_ROUTES.filter((r) => !(r.method === 'GET' && r.path === '/Users')),
];

const authRequest = fc
  .tuple(fc.constantFrom(...Object.keys(AUTH_VARIANTS)), fc.constantFrom(...AUTH_ROUTES))
  .map(([variant, route]) => {
    const v = AUTH_VARIANTS[variant];
    let body: Record<string, unknown> | undefined = route.body;
    if (v.inBody) body = { ...(body ?? {}), access_token: v.bodyValue ?? '$TOKEN' };
    const req: Req = {
      method: route.method,
      path: SCIM_BASE + route.path,
      headers: {
        Authorization: v.authorization ?? null,
        Accept: 'application/scim+json',
        'Content-Type': body ? 'application/scim+json' : null,
      },
      ...(v.inQuery ? { query: [{ name: 'access_token', value: v.queryValue ?? '$TOKEN' }] } : {}),
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(v.expect === 'foreign' ? { foreign: true } : {}),
    };
    return { variant, req };
  });

/** Routes by their canonical (lower-cased) path: the methods they have; `all` for /Me (501). */
function allowedMethods(path: string): Method[] | 'all' | undefined {
  const p = path.toLowerCase().replace(/\/$/, '');
  if (!underScim(p)) return undefined;
  const rest = p.slice(SCIM_BASE.length);
  if (/^\/(users|groups)$/.test(rest)) return ['GET', 'HEAD', 'POST'];
  if (/^\/(users|groups)\/\.search$/.test(rest)) return ['POST'];
  if (/^\/(users|groups)\/[^/]+$/.test(rest)) return ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];
  if (/^\/(serviceproviderconfig|resourcetypes|schemas)(\/[^/]+)?$/.test(rest)) return ['GET', 'HEAD'];
  if (rest === '/bulk') return ['POST'];
  if (rest === '/me') return 'all';
  return undefined;
}

/** Whether a generated path is spelled exactly as the routes are (`/scim/v2/Users/.search`, …). */
function isCanonicalCase(path: string): boolean {
  if (!path.startsWith(SCIM_BASE)) return false;
  const rest = path.slice(SCIM_BASE.length).replace(/\/$/, '');
  return METHOD_ROUTES.some((segments) => segments.map((s) => `/${s.text}`).join('') === rest);
}

interface Segment {
  text: string;
  /** A route's literal segment, which a client may spell in another case; an id is never re-cased. */
  literal: boolean;
}
const METHOD_ROUTES: Segment[][] = [
  [{ text: 'Users', literal: true }],
  [{ text: 'Groups', literal: true }],
  [
    { text: 'Users', literal: true },
    { text: '.search', literal: true },
  ],
  [
    { text: 'Groups', literal: true },
    { text: '.search', literal: true },
  ],
  [
    { text: 'Users', literal: true },
    { text: '$U0', literal: false },
  ],
  [
    { text: 'Groups', literal: true },
    { text: '$G0', literal: false },
  ],
  [{ text: 'ServiceProviderConfig', literal: true }],
  [{ text: 'ResourceTypes', literal: true }],
  [
    { text: 'ResourceTypes', literal: true },
    { text: 'User', literal: false },
  ],
  [{ text: 'Schemas', literal: true }],
  [
    { text: 'Schemas', literal: true },
    { text: USER_SCHEMA, literal: false },
  ],
  [{ text: 'Me', literal: true }],
  [{ text: 'Bulk', literal: true }],
  [{ text: 'Nope', literal: true }],
];

const METHOD_BODIES = {
  none: undefined,
  json: { type: 'application/scim+json', body: JSON.stringify(NEW_USER) },
  'malformed json': { type: 'application/scim+json', body: '{"userName":' },
  'text/plain': { type: 'text/plain', body: 'userName=ann' },
  'too large': {
    type: 'application/scim+json',
    body: JSON.stringify({ x: 'x'.repeat(BODY_LIMIT_BYTES + 10) }),
  },
  'no content type': { type: null, body: '{"userName":"x"}' },
} as const;

const methodRequest = fc
  .tuple(
    fc.constantFrom<Method>('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'),
    fc.constantFrom(...METHOD_ROUTES),
    fc.oneof({ weight: 3, arbitrary: fc.constant(SCIM_BASE) }, fc.mixedCase(fc.constant(SCIM_BASE))),
    fc.array(fc.constantFrom('as routed', 'lower', 'upper'), { minLength: 2, maxLength: 2 }),
    fc.constantFrom('', '', '', '/'),
    fc.constantFrom(...(Object.keys(METHOD_BODIES) as (keyof typeof METHOD_BODIES)[])),
    fc.nat(4).map((n) => n > 0),
  )
  .map(([method, segments, prefix, recase, trailing, bodyKind, authenticated]) => {
    const path =
      prefix +
      segments
        .map((s, i) => {
          if (!s.literal || recase[i] === 'as routed') return `/${s.text}`;
          return `/${recase[i] === 'lower' ? s.text.toLowerCase() : s.text.toUpperCase()}`;
        })
        .join('') +
      trailing;
    const body = METHOD_BODIES[bodyKind];
    const req: Req = {
      method,
      path,
      headers: {
        Authorization: authenticated ? 'Bearer $TOKEN' : null,
        Accept: 'application/scim+json',
        'Content-Type': body ? body.type : null,
      },
      ...(body ? { body: body.body } : {}),
    };
    return { bodyKind, req };
  });

// ---------------------------------------------------------------------------------------------------------------
// The properties

describe('SCIM API under generated requests (fast-check)', () => {
  beforeAll(async () => {
    t = await createTestApp({
      BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      // One client sending requests back to back must not be throttled: the limits are tested elsewhere.
      SCIM_RATE_LIMIT: '1000000',
      SCIM_RATE_BURST: '1000000',
    });
    await t.app.listen(0, '127.0.0.1');
    const foreign = await createScimDirectory(t);
    other = { token: foreign.integration.token, userId: '' };
    const stranger = await request(t.http)
      .post(`${SCIM_BASE}/Users`)
      .auth(other.token, { type: 'bearer' })
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify({ schemas: [USER_SCHEMA], userName: 'fuzz.stranger@example.com' }))
      .expect(201);
    other.userId = (stranger.body as { id: string }).id;
    await rebuild();
  });
  afterAll(() => t.close());

  it(
    'filters and list parameters: lists, .search and single reads answer 200 or 400, never leak',
    () =>
      check(
        'lists',
        fc.oneof(
          { weight: 6, arbitrary: listGet.map((req) => ({ req, one: false })) },
          { weight: 4, arbitrary: listSearch.map((req) => ({ req, one: false })) },
          { weight: 1, arbitrary: oneGet.map((req) => ({ req, one: true })) },
        ),
        ({ req, one }) => exercise('lists', req, [one ? oneAnswer(req) : listAnswer]),
        500,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'well-typed filters are answered 200',
    () =>
      check(
        'well-typed filters',
        fc.tuple(wellTyped, fc.boolean()),
        ([[collection, filter], viaSearch]) => {
          const req = viaSearch
            ? std('POST', `/${collection}/.search`, { schemas: [SEARCH_REQUEST], filter })
            : std('GET', `/${collection}`, undefined, [{ name: 'filter', value: filter }]);
          return exercise('well-typed filters', req, [
            (a) =>
              a.status === 200
                ? listAnswer(a)
                : `valid-filter-refused: ${collection} filter answered ${a.status} ${a.text.slice(0, 200)}`,
          ]);
        },
        200,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'PATCH bodies of every shape to /Users/:id and /Groups/:id',
    () => check('patch', patchRequest, (req) => exercise('patch', req), 500),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'raw bodies: broken JSON, deep nesting, huge numbers, duplicate keys, BOMs, wrong types for every attribute',
    () => check('raw bodies', rawBodyRequest, ({ req }) => exercise('raw bodies', req), 500),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'Content-Type, Accept, If-Match and If-None-Match of any value',
    () =>
      check(
        'headers',
        headerRequest,
        async (req) => {
          const expectations: Expectation[] = [];
          const type = req.headers['Content-Type'];
          const media =
            type === null || type === undefined ? undefined : type.split(';')[0].trim().toLowerCase();
          // A body without Content-Type is JSON (RFC 7644 §3.8); one declared as anything else is 415.
          if (
            req.body !== undefined &&
            media !== undefined &&
            media !== 'application/json' &&
            media !== 'application/scim+json'
          )
            expectations.push((a) =>
              a.status === 415
                ? undefined
                : `expected-415: a body sent as ${JSON.stringify(type)} answered ${a.status}`,
            );
          const ifMatch = req.headers['If-Match'];
          const tag = ifMatch ? /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(ifMatch) : null;
          const version = tag && req.method !== 'GET' ? await versionOf(req.path) : undefined;
          if (tag && version !== undefined && Number(tag[1]) !== version)
            expectations.push((a) =>
              is2xx(a.status)
                ? `stale-if-match-write: If-Match ${ifMatch} on version ${version} answered ${a.status}`
                : undefined,
            );
          await exercise('headers', req, expectations);
        },
        400,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'credentials: only this integration’s bearer token in the Authorization header is accepted',
    () =>
      check(
        'credentials',
        authRequest,
        ({ variant, req }) => {
          const v = AUTH_VARIANTS[variant];
          return exercise('credentials', req, [
            (a) => {
              if (v.expect === 'refused' && a.status !== 401)
                return `auth-not-enforced: ${variant} answered ${a.status}, not 401`;
              if (v.expect === 'accepted' && a.status === 401) return `auth-refused: ${variant} answered 401`;
              if (v.expect === 'foreign' && /\$(U|G)\d/.test(req.path) && a.status !== 404)
                return `cross-directory: another integration's token on this directory's resource answered ${a.status}, not 404`;
              return undefined;
            },
          ]);
        },
        300,
      ),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'methods a route does not have are 405 whatever the body; any letter case of the path is still SCIM',
    () =>
      check(
        'methods and paths',
        methodRequest,
        ({ bodyKind, req }) => {
          const allowed = allowedMethods(req.path);
          // A path in another letter case may be an unknown route (404); spelled as routed, it is a 405.
          const canonical = isCanonicalCase(req.path);
          return exercise('methods and paths', req, [
            (a) => {
              if (allowed === undefined || allowed === 'all' || allowed.includes(req.method))
                return undefined;
              const authenticated = req.headers.Authorization !== null;
              if (a.status === 405) return undefined;
              if (!authenticated && a.status === 401) return undefined;
              if (!canonical && a.status === 404) return undefined;
              return `expected-405: ${req.method} (body: ${bodyKind}) on a route that has ${allowed.join(', ')} answered ${a.status}`;
            },
          ]);
        },
        400,
      ),
    PROPERTY_TIMEOUT_MS,
  );
});
