// The bare server: the SCIM requests of W1, W2, W3, W5 and W6 served by `node:http` + `pg` alone, with ONE
// parameterised SQL statement per request, on the same PostgreSQL as the Rollcall server under test. It is the
// yardstick of `npm run bench -- --bare`: what a server that does nothing but the one statement each request
// needs can reach on this machine. See bench/README.md, "Ratio mode".
//
//   node -r ts-node/register/transpile-only bench/bare-server.ts --data-dir /tmp/bench-data [--port 3399]
//   node -r ts-node/register/transpile-only bench/bare-server.ts --database-url postgres://…
//
// It answers in Rollcall's shapes (status codes, application/scim+json, ETag, Location, ListResponse,
// SCIM errors) but is no SCIM server: one tenant, a bearer token compared with a constant, filters limited to
// `userName eq "…"` / `displayName eq "…"`, PATCH paths limited to what Okta sends (`attr`, `attr.sub`,
// `members`), no schema validation. Its tables live in their own schema (`bench_bare`), dropped and created
// afresh at start and dropped again at exit.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { embeddedDatabaseUrl, redactedUrl } from './bare-db';

const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Rollcall's defaults: BODY_LIMIT_BYTES, DATABASE_POOL_SIZE and the DB_* session limits. */
const BODY_LIMIT = 1024 * 1024;
const DEFAULT_POOL_SIZE = 20;
const MAX_PAGE = 1000;
/** Printed on stdout once listening: the benchmark waits for this line. */
export const READY_PREFIX = 'bare server listening on ';
export const BARE_TOKEN_ENV = 'ROLLCALL_BARE_TOKEN';
export const BARE_DATABASE_URL_ENV = 'ROLLCALL_BARE_DATABASE_URL';

const S = 'bench_bare';

/** Run once at start (not per request): a fresh schema, so every run starts empty. */
const DDL = `
DROP SCHEMA IF EXISTS ${S} CASCADE;
CREATE SCHEMA ${S};
CREATE TABLE ${S}.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_name text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  data jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_user_name ON ${S}.users (lower(user_name));
CREATE TABLE ${S}.groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_display_name ON ${S}.groups (lower(display_name));
CREATE TABLE ${S}.members (
  group_id uuid NOT NULL REFERENCES ${S}.groups (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES ${S}.users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX members_user ON ${S}.members (user_id);
`;

// ----------------------------------------------------------------------------------------------- SQL
// Every request runs exactly one of these (a single statement, data-modifying CTEs included).

/** A user's columns, with its groups aggregated by a subquery (`u` is the users row). */
const USER_COLUMNS = `u.id, u.user_name, u.active, u.data, u.version, u.created, u.last_modified,
  (SELECT json_agg(json_build_object('value', g.id, 'display', g.display_name))
     FROM ${S}.members m JOIN ${S}.groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups`;

/** A group's members as two arrays, ids and display names (`g` is the groups row). */
const MEMBERS_OF_G = `SELECT array_agg(u.id::text) AS member_ids, array_agg(u.data ->> 'displayName') AS member_names
  FROM ${S}.members m JOIN ${S}.users u ON u.id = m.user_id WHERE m.group_id = g.id`;

const SQL = {
  createUser: `INSERT INTO ${S}.users (user_name, active, data) VALUES ($1, $2, $3)
    RETURNING id, user_name, active, data, version, created, last_modified`,
  getUser: `SELECT ${USER_COLUMNS} FROM ${S}.users u WHERE u.id = $1`,
  findUser: `SELECT ${USER_COLUMNS} FROM ${S}.users u WHERE lower(u.user_name) = lower($1)`,
  countUsers: `SELECT count(*)::int AS total FROM ${S}.users`,
  pageUsers: `WITH t AS (SELECT count(*)::int AS total FROM ${S}.users)
    SELECT t.total, p.* FROM t LEFT JOIN LATERAL (
      SELECT ${USER_COLUMNS} FROM ${S}.users u ORDER BY u.created, u.id LIMIT $1 OFFSET $2) p ON true`,
  // $2 userName, $3 active (null: unchanged); $4 top-level attributes to set; $5 attributes to merge into
  // (name.givenName → {"name":{"givenName":…}}); $6 top-level attributes to remove.
  patchUser: `UPDATE ${S}.users u SET
      user_name = coalesce($2, u.user_name),
      active = coalesce($3, u.active),
      data = ((u.data - $6::text[]) || $4::jsonb) || (
        SELECT coalesce(jsonb_object_agg(e.key, coalesce(u.data -> e.key, '{}'::jsonb) || e.value), '{}'::jsonb)
        FROM jsonb_each($5::jsonb) e),
      version = u.version + 1, last_modified = now()
    WHERE u.id = $1 RETURNING ${USER_COLUMNS}`,
  putUser: `UPDATE ${S}.users u SET user_name = $2, active = $3, data = $4, version = u.version + 1,
      last_modified = now() WHERE u.id = $1 RETURNING ${USER_COLUMNS}`,
  deleteUser: `DELETE FROM ${S}.users WHERE id = $1 RETURNING id`,
  // Members come back as two arrays (ids, display names), turned into SCIM members in JS: of the one-statement
  // shapes tried (jsonb_agg/json_agg of objects, one row per member, arrays), the cheapest for 2,000 members.
  createGroup: `WITH g AS (
      INSERT INTO ${S}.groups (display_name) VALUES ($1) RETURNING id, display_name, version, created, last_modified),
    m AS (
      INSERT INTO ${S}.members (group_id, user_id) SELECT g.id, x FROM g, unnest($2::uuid[]) x
      ON CONFLICT DO NOTHING RETURNING user_id)
    SELECT g.*, a.member_ids, a.member_names FROM g, LATERAL (
      SELECT array_agg(u.id::text) AS member_ids, array_agg(u.data ->> 'displayName') AS member_names
      FROM m JOIN ${S}.users u ON u.id = m.user_id) a`,
  // $2 new displayName (null: unchanged), $3 members to add, $4 members to remove.
  patchGroup: `WITH g AS (
      UPDATE ${S}.groups SET display_name = coalesce($2, display_name), version = version + 1,
        last_modified = now() WHERE id = $1 RETURNING id, version),
    del AS (DELETE FROM ${S}.members d USING g WHERE d.group_id = g.id AND d.user_id = ANY($4::uuid[])),
    ins AS (INSERT INTO ${S}.members (group_id, user_id) SELECT g.id, x FROM g, unnest($3::uuid[]) x
      ON CONFLICT DO NOTHING)
    SELECT version FROM g`,
  getGroup: `SELECT g.id, g.display_name, g.version, g.created, g.last_modified FROM ${S}.groups g WHERE g.id = $1`,
  getGroupWithMembers: `SELECT g.id, g.display_name, g.version, g.created, g.last_modified, a.member_ids, a.member_names
    FROM ${S}.groups g, LATERAL (${MEMBERS_OF_G}) a WHERE g.id = $1`,
  findGroup: `SELECT g.id, g.display_name, g.version, g.created, g.last_modified
    FROM ${S}.groups g WHERE lower(g.display_name) = lower($1)`,
  findGroupWithMembers: `SELECT g.id, g.display_name, g.version, g.created, g.last_modified, a.member_ids, a.member_names
    FROM ${S}.groups g, LATERAL (${MEMBERS_OF_G}) a WHERE lower(g.display_name) = lower($1)`,
  pageGroups: `WITH t AS (SELECT count(*)::int AS total FROM ${S}.groups)
    SELECT t.total, p.* FROM t LEFT JOIN LATERAL (
      SELECT g.id, g.display_name, g.version, g.created, g.last_modified FROM ${S}.groups g
      ORDER BY g.created, g.id LIMIT $1 OFFSET $2) p ON true`,
  deleteGroup: `DELETE FROM ${S}.groups WHERE id = $1 RETURNING id`,
} as const;

// ------------------------------------------------------------------------------------------- answers

interface Answer {
  status: number;
  body?: unknown;
  etag?: string;
  location?: string;
}

class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

function errorBody(status: number, detail: string, scimType?: string): Record<string, unknown> {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

const etag = (version: number) => `W/"${version}"`;

interface UserRow extends QueryResultRow {
  id: string;
  user_name: string;
  active: boolean;
  data: Record<string, unknown>;
  version: number;
  created: Date;
  last_modified: Date;
  groups?: { value: string; display: string }[] | null;
}

interface GroupRow extends QueryResultRow {
  id: string;
  display_name: string;
  version: number;
  created: Date;
  last_modified: Date;
  member_ids?: string[] | null;
  member_names?: (string | null)[] | null;
}

/** Attributes a client may not store as data: they come from columns or are read-only. */
const NOT_DATA = new Set(['schemas', 'id', 'meta', 'username', 'active', 'groups', 'password']);

class Bare {
  /** e.g. http://127.0.0.1:3399/scim/v2 (meta.location, Location, $ref): set once the server listens. */
  base = '';

  constructor(private readonly pool: Pool) {}

  private async one<T extends QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>({ text, values })).rows;
  }

  private user(row: UserRow): Record<string, unknown> {
    const location = `${this.base}/Users/${row.id}`;
    return {
      schemas: [USER_SCHEMA],
      id: row.id,
      ...row.data,
      userName: row.user_name,
      active: row.active,
      ...(row.groups
        ? {
            groups: row.groups.map((g) => ({
              value: g.value,
              display: g.display,
              $ref: `${this.base}/Groups/${g.value}`,
              type: 'direct',
            })),
          }
        : {}),
      meta: {
        resourceType: 'User',
        created: row.created.toISOString(),
        lastModified: row.last_modified.toISOString(),
        location,
        version: etag(row.version),
      },
    };
  }

  private group(row: GroupRow): Record<string, unknown> {
    return {
      schemas: [GROUP_SCHEMA],
      id: row.id,
      displayName: row.display_name,
      ...(row.member_ids ? { members: this.members(row.member_ids, row.member_names ?? []) } : {}),
      meta: {
        resourceType: 'Group',
        created: row.created.toISOString(),
        lastModified: row.last_modified.toISOString(),
        location: `${this.base}/Groups/${row.id}`,
        version: etag(row.version),
      },
    };
  }

  private members(ids: string[], names: (string | null)[]): Record<string, unknown>[] {
    const users = `${this.base}/Users/`;
    return ids.map((id, i) => ({
      value: id,
      display: names[i] ?? undefined,
      $ref: users + id,
      type: 'User',
    }));
  }

  private static list(total: number, startIndex: number, resources: unknown[]): Record<string, unknown> {
    return {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    };
  }

  // ------------------------------------------------------------------------------------------ users

  async createUser(body: Record<string, unknown>): Promise<Answer> {
    const { userName, active, data } = userFields(body);
    const [row] = await this.one<UserRow>(SQL.createUser, [userName, active, data]);
    const resource = this.user(row);
    return { status: 201, body: resource, etag: etag(row.version), location: `${this.base}/Users/${row.id}` };
  }

  async getUser(id: string, q: URLSearchParams): Promise<Answer> {
    const [row] = await this.one<UserRow>(SQL.getUser, [id]);
    if (!row) throw notFound('User', id);
    return { status: 200, body: project(this.user(row), q), etag: etag(row.version) };
  }

  async listUsers(q: URLSearchParams): Promise<Answer> {
    const filter = q.get('filter');
    if (filter !== null) {
      const userName = eqValue(filter, 'userName');
      const rows = await this.one<UserRow>(SQL.findUser, [userName]);
      return {
        status: 200,
        body: Bare.list(
          rows.length,
          1,
          rows.map((r) => project(this.user(r), q)),
        ),
      };
    }
    const { startIndex, count } = page(q);
    if (count === 0) {
      const [{ total }] = await this.one<{ total: number }>(SQL.countUsers, []);
      return { status: 200, body: Bare.list(total, startIndex, []) };
    }
    const rows = await this.one<UserRow & { total: number }>(SQL.pageUsers, [count, startIndex - 1]);
    const resources = rows.filter((r) => r.id !== null).map((r) => project(this.user(r), q));
    return { status: 200, body: Bare.list(rows[0]?.total ?? 0, startIndex, resources) };
  }

  async patchUser(id: string, body: Record<string, unknown>): Promise<Answer> {
    const p = userPatch(body);
    const [row] = await this.one<UserRow>(SQL.patchUser, [
      id,
      p.userName,
      p.active,
      p.set,
      p.merge,
      p.remove,
    ]);
    if (!row) throw notFound('User', id);
    return { status: 200, body: this.user(row), etag: etag(row.version) };
  }

  async putUser(id: string, body: Record<string, unknown>): Promise<Answer> {
    const { userName, active, data } = userFields(body);
    const [row] = await this.one<UserRow>(SQL.putUser, [id, userName, active, data]);
    if (!row) throw notFound('User', id);
    return { status: 200, body: this.user(row), etag: etag(row.version) };
  }

  async deleteUser(id: string): Promise<Answer> {
    const rows = await this.one(SQL.deleteUser, [id]);
    if (rows.length === 0) throw notFound('User', id);
    return { status: 204 };
  }

  // ----------------------------------------------------------------------------------------- groups

  async createGroup(body: Record<string, unknown>): Promise<Answer> {
    const displayName = body.displayName;
    if (typeof displayName !== 'string' || !displayName) throw invalid('displayName is required');
    const members = memberIds(body.members ?? []);
    const [row] = await this.one<GroupRow>(SQL.createGroup, [displayName, members]);
    return {
      status: 201,
      body: this.group(row),
      etag: etag(row.version),
      location: `${this.base}/Groups/${row.id}`,
    };
  }

  async getGroup(id: string, q: URLSearchParams): Promise<Answer> {
    const [row] = wantsMembers(q)
      ? await this.one<GroupRow>(SQL.getGroupWithMembers, [id])
      : await this.one<GroupRow>(SQL.getGroup, [id]);
    if (!row) throw notFound('Group', id);
    return { status: 200, body: project(this.group(row), q), etag: etag(row.version) };
  }

  async listGroups(q: URLSearchParams): Promise<Answer> {
    const filter = q.get('filter');
    if (filter !== null) {
      const displayName = eqValue(filter, 'displayName');
      const rows = wantsMembers(q)
        ? await this.one<GroupRow>(SQL.findGroupWithMembers, [displayName])
        : await this.one<GroupRow>(SQL.findGroup, [displayName]);
      return {
        status: 200,
        body: Bare.list(
          rows.length,
          1,
          rows.map((r) => project(this.group(r), q)),
        ),
      };
    }
    const { startIndex, count } = page(q);
    const rows = await this.one<GroupRow & { total: number }>(SQL.pageGroups, [count, startIndex - 1]);
    const resources = rows.filter((r) => r.id !== null).map((r) => project(this.group(r), q));
    return { status: 200, body: Bare.list(rows[0]?.total ?? 0, startIndex, resources) };
  }

  async patchGroup(id: string, body: Record<string, unknown>): Promise<Answer> {
    const p = groupPatch(body);
    const [row] = await this.one<{ version: number }>(SQL.patchGroup, [id, p.displayName, p.add, p.remove]);
    if (!row) throw notFound('Group', id);
    return { status: 204, etag: etag(row.version) };
  }

  async deleteGroup(id: string): Promise<Answer> {
    const rows = await this.one(SQL.deleteGroup, [id]);
    if (rows.length === 0) throw notFound('Group', id);
    return { status: 204 };
  }
}

// --------------------------------------------------------------------------------- request decoding

const notFound = (type: string, id: string) => new ScimError(404, `${type} ${id} not found`);
const invalid = (detail: string) => new ScimError(400, detail, 'invalidValue');
const unsupported = (detail: string) => new ScimError(400, `the bare server does not support ${detail}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function userFields(body: Record<string, unknown>): {
  userName: string;
  active: boolean;
  data: Record<string, unknown>;
} {
  const userName = body.userName;
  if (typeof userName !== 'string' || !userName.trim()) throw invalid('userName is required');
  const active = body.active ?? true;
  if (typeof active !== 'boolean') throw invalid('active must be a boolean');
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!NOT_DATA.has(k.toLowerCase())) data[k] = v;
  return { userName, active, data };
}

/** `<attribute> eq "<value>"`, the only filter the bare server understands. */
function eqValue(filter: string, attribute: string): string {
  const m = /^\s*([A-Za-z.]+)\s+eq\s+("(?:[^"\\]|\\.)*")\s*$/.exec(filter);
  if (!m || m[1].toLowerCase() !== attribute.toLowerCase()) unsupportedFilter(filter);
  try {
    return JSON.parse(m[2]) as string;
  } catch {
    throw new ScimError(400, `bad string in filter: ${m[2].slice(0, 100)}`, 'invalidFilter');
  }
}

function unsupportedFilter(filter: string): never {
  throw new ScimError(
    400,
    `the bare server does not support the filter ${filter.slice(0, 100)}`,
    'invalidFilter',
  );
}

function page(q: URLSearchParams): { startIndex: number; count: number } {
  const startIndex = Math.max(1, Number.parseInt(q.get('startIndex') ?? '1', 10) || 1);
  const raw = q.get('count');
  const count = raw === null ? 100 : Math.min(MAX_PAGE, Math.max(0, Number.parseInt(raw, 10) || 0));
  return { startIndex, count };
}

function names(q: URLSearchParams, key: string): string[] | undefined {
  const raw = q.get(key);
  return raw === null ? undefined : raw.split(',').map((s) => s.trim().toLowerCase());
}

function wantsMembers(q: URLSearchParams): boolean {
  const attributes = names(q, 'attributes');
  if (attributes) return attributes.includes('members');
  return !(names(q, 'excludedAttributes') ?? []).includes('members');
}

/** `attributes` keeps schemas, id and the names given; `excludedAttributes` drops the names given. */
function project(resource: Record<string, unknown>, q: URLSearchParams): Record<string, unknown> {
  const attributes = names(q, 'attributes');
  const excluded = names(q, 'excludedAttributes');
  if (!attributes && !excluded) return resource;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) {
    const key = k.toLowerCase();
    const keep = attributes
      ? key === 'schemas' || key === 'id' || attributes.includes(key)
      : !(excluded ?? []).includes(key);
    if (keep) out[k] = v;
  }
  return out;
}

function operations(body: Record<string, unknown>): { op: string; path?: string; value: unknown }[] {
  const ops = body.Operations;
  if (!Array.isArray(ops) || ops.length === 0) throw invalid('Operations must be a non-empty array');
  return ops.map((o: unknown) => {
    if (!isObject(o) || typeof o.op !== 'string') throw invalid('each operation needs an op');
    if (o.path !== undefined && typeof o.path !== 'string') throw invalid('path must be a string');
    return { op: o.op.toLowerCase(), path: o.path, value: o.value };
  });
}

interface UserPatch {
  userName: string | null;
  active: boolean | null;
  set: Record<string, unknown>;
  merge: Record<string, Record<string, unknown>>;
  remove: string[];
}

/** PATCH operations → the parameters of the one UPDATE (SQL.patchUser). */
function userPatch(body: Record<string, unknown>): UserPatch {
  const p: UserPatch = { userName: null, active: null, set: {}, merge: {}, remove: [] };
  const assign = (path: string, value: unknown) => {
    if (/[[\]]/.test(path) || path.startsWith('urn:'))
      throw unsupported(`the PATCH path ${path.slice(0, 100)}`);
    const [top, sub, ...deeper] = path.split('.');
    if (deeper.length > 0) throw unsupported(`the PATCH path ${path.slice(0, 100)}`);
    const key = top.toLowerCase();
    if (key === 'username' && sub === undefined) {
      if (typeof value !== 'string' || !value.trim()) throw invalid('userName must be a non-empty string');
      p.userName = value;
    } else if (key === 'active' && sub === undefined) {
      if (typeof value !== 'boolean') throw invalid('active must be a boolean');
      p.active = value;
    } else if (NOT_DATA.has(key)) {
      throw new ScimError(400, `${top} cannot be changed`, 'mutability');
    } else if (sub === undefined) {
      p.set[top] = value;
      delete p.merge[top];
    } else if (isObject(p.set[top])) {
      p.set[top] = { ...p.set[top], [sub]: value };
    } else {
      p.merge[top] = { ...p.merge[top], [sub]: value };
    }
  };
  for (const o of operations(body)) {
    if (o.op === 'remove') {
      if (!o.path || o.path.includes('.') || /[[\]]/.test(o.path)) throw unsupported('this remove');
      if (NOT_DATA.has(o.path.toLowerCase()))
        throw new ScimError(400, `${o.path} cannot be removed`, 'mutability');
      p.remove.push(o.path);
      delete p.set[o.path];
      delete p.merge[o.path];
    } else if (o.op === 'add' || o.op === 'replace') {
      if (o.path) assign(o.path, o.value);
      else if (isObject(o.value)) for (const [k, v] of Object.entries(o.value)) assign(k, v);
      else throw invalid('an operation without a path needs an object value');
    } else {
      throw invalid(`unknown op ${o.op.slice(0, 20)}`);
    }
  }
  return p;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function memberIds(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid('members must be an array');
  return value.map((m: unknown) => {
    const id = isObject(m) ? m.value : undefined;
    if (typeof id !== 'string' || !UUID.test(id)) throw invalid('each member needs the value of a user id');
    return id;
  });
}

/** PATCH operations → the parameters of the one statement (SQL.patchGroup). */
function groupPatch(body: Record<string, unknown>): {
  displayName: string | null;
  add: string[];
  remove: string[];
} {
  let displayName: string | null = null;
  const add: string[] = [];
  const remove: string[] = [];
  const setName = (v: unknown) => {
    if (typeof v !== 'string' || !v) throw invalid('displayName must be a non-empty string');
    displayName = v;
  };
  for (const o of operations(body)) {
    const path = o.path?.toLowerCase();
    const byValue = o.path ? /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i.exec(o.path) : null;
    if ((o.op === 'add' || o.op === 'replace') && path === 'displayname') setName(o.value);
    else if (
      o.op === 'replace' &&
      path === undefined &&
      isObject(o.value) &&
      Object.keys(o.value).length === 1
    ) {
      if (!('displayName' in o.value)) throw unsupported('this replace');
      setName(o.value.displayName);
    } else if (o.op === 'add' && path === 'members') add.push(...memberIds(o.value));
    else if (o.op === 'remove' && path === 'members' && o.value !== undefined)
      remove.push(...memberIds(o.value));
    else if (o.op === 'remove' && byValue && UUID.test(byValue[1])) remove.push(byValue[1]);
    else throw unsupported(`the group operation ${o.op} ${o.path ?? ''}`.trim());
  }
  return { displayName, add, remove };
}

// ------------------------------------------------------------------------------------------ routing

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        reject(new ScimError(413, `the body is larger than ${BODY_LIMIT} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ScimError(400, 'the body is not JSON', 'invalidSyntax');
  }
  if (!isObject(parsed)) throw new ScimError(400, 'the body must be a JSON object', 'invalidSyntax');
  return parsed;
}

async function route(bare: Bare, req: http.IncomingMessage, url: URL): Promise<Answer> {
  const m = /^\/scim\/v2\/(Users|Groups)(?:\/([^/]+))?\/?$/.exec(url.pathname);
  if (!m) throw new ScimError(404, `no such endpoint: ${url.pathname.slice(0, 100)}`);
  const [, type, id] = m;
  if (id !== undefined && !UUID.test(id))
    throw notFound(type === 'Users' ? 'User' : 'Group', id.slice(0, 100));
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  if (type === 'Users') {
    if (id === undefined) {
      if (method === 'GET') return bare.listUsers(q);
      if (method === 'POST') return bare.createUser(await jsonBody(req));
    } else {
      if (method === 'GET') return bare.getUser(id, q);
      if (method === 'PATCH') return bare.patchUser(id, await jsonBody(req));
      if (method === 'PUT') return bare.putUser(id, await jsonBody(req));
      if (method === 'DELETE') return bare.deleteUser(id);
    }
  } else if (id === undefined) {
    if (method === 'GET') return bare.listGroups(q);
    if (method === 'POST') return bare.createGroup(await jsonBody(req));
  } else {
    if (method === 'GET') return bare.getGroup(id, q);
    if (method === 'PATCH') return bare.patchGroup(id, await jsonBody(req));
    if (method === 'DELETE') return bare.deleteGroup(id);
  }
  throw new ScimError(405, `${method} is not supported on ${url.pathname.slice(0, 100)}`);
}

/** PostgreSQL errors a client caused, as SCIM errors; anything else is a 500. */
function fromDatabase(e: unknown): ScimError | undefined {
  const code = (e as { code?: unknown }).code;
  if (code === '23505') return new ScimError(409, 'a resource with this name already exists', 'uniqueness');
  if (code === '23503') return invalid('a member is not a known user');
  if (code === '22P02') return invalid('a value has the wrong type');
  return undefined;
}

function send(res: http.ServerResponse, a: Answer): void {
  const headers: http.OutgoingHttpHeaders = {};
  if (a.etag) headers.etag = a.etag;
  if (a.location) headers.location = a.location;
  if (a.body === undefined) {
    res.writeHead(a.status, headers).end();
    return;
  }
  const payload = JSON.stringify(a.body);
  headers['content-type'] = SCIM_CONTENT_TYPE;
  headers['content-length'] = Buffer.byteLength(payload);
  res.writeHead(a.status, headers).end(payload);
}

export interface BareServerOptions {
  databaseUrl: string;
  host: string;
  port: number;
  token: string;
  poolSize: number;
  /** Leave the bench_bare schema in place at stop. */
  keepSchema: boolean;
}

export interface RunningBareServer {
  url: string;
  stop(): Promise<void>;
}

export async function startBareServer(o: BareServerOptions): Promise<RunningBareServer> {
  // The same pool size and session limits as Rollcall's defaults (libs/common/src/config.ts).
  const pool = new Pool({
    connectionString: o.databaseUrl,
    max: o.poolSize,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    lock_timeout: 5_000,
    idle_in_transaction_session_timeout: 10_000,
  });
  pool.on('error', (e) => process.stderr.write(`bare server: idle client error: ${e.message}\n`));
  const setup: PoolClient = await pool.connect();
  try {
    await setup.query(DDL);
  } finally {
    setup.release();
  }

  const authorization = `Bearer ${o.token}`;
  const bare = new Bare(pool);
  const server = http.createServer((req, res) => {
    const fail = (status: number, detail: string, scimType?: string) =>
      send(res, { status, body: errorBody(status, detail, scimType) });
    if (req.headers.authorization !== authorization) {
      req.resume();
      fail(401, 'A valid bearer token is required');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://bare');
    route(bare, req, url).then(
      (a) => send(res, a),
      (e: unknown) => {
        const known = e instanceof ScimError ? e : fromDatabase(e);
        if (known) {
          if (known.status === 413) res.setHeader('connection', 'close');
          fail(known.status, known.message, known.scimType);
          return;
        }
        process.stderr.write(
          `bare server: ${req.method} ${req.url}: ${e instanceof Error ? e.stack : String(e)}\n`,
        );
        fail(500, 'internal error');
      },
    );
  });
  // As Rollcall: keep idle keep-alive connections for 65 s (the benchmark alternates between servers).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${host}:${port}/scim/v2`;
  bare.base = url;

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2_000).unref();
        });
        if (!o.keepSchema) await pool.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`).catch(() => undefined);
        await pool.end();
      })()),
  };
}

// --------------------------------------------------------------------------------------------- main

const USAGE = `Usage: node -r ts-node/register/transpile-only bench/bare-server.ts [options]

  --data-dir <dir>        the DATA_DIR of a running Rollcall server on the embedded PostgreSQL: connect to
                          the same cluster, the way Rollcall does (its Unix socket)
  --database-url <url>    or a PostgreSQL URL (the DATABASE_URL of a Rollcall server on an external database;
                          or ${BARE_DATABASE_URL_ENV})
  --host <addr>           loopback address to listen on (default 127.0.0.1)
  --port <n>              port (default 0: a free one; the URL is printed)
  --token <token>         the bearer token to accept (or ${BARE_TOKEN_ENV}; default: a random one, printed)
  --pool-size <n>         pg pool size (default ${DEFAULT_POOL_SIZE}, Rollcall's default DATABASE_POOL_SIZE)
  --keep-schema           leave the ${S} schema in place at exit (it is always recreated at start)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      'pool-size': { type: 'string', default: String(DEFAULT_POOL_SIZE) },
      'keep-schema': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(values.host))
    throw new Error('--host must be a loopback address');
  const databaseUrl =
    values['database-url'] ??
    (values['data-dir'] ? embeddedDatabaseUrl(values['data-dir']) : process.env[BARE_DATABASE_URL_ENV]);
  if (!databaseUrl) throw new Error(`pass --data-dir or --database-url\n\n${USAGE}`);
  const port = Number(values.port);
  const poolSize = Number(values['pool-size']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
  if (!Number.isInteger(poolSize) || poolSize < 1)
    throw new Error('--pool-size must be a positive whole number');
  const given = values.token ?? process.env[BARE_TOKEN_ENV];
  const token = given || `bare_${randomBytes(12).toString('hex')}`;

  const running = await startBareServer({
    databaseUrl,
    host: values.host,
    port,
    token,
    poolSize,
    keepSchema: values['keep-schema'],
  });
  process.stderr.write(
    `bare server: pid ${process.pid}, database ${redactedUrl(databaseUrl)}, pool ${poolSize}, schema ${S}` +
      `${given ? '' : `, token ${token}`}\n`,
  );
  process.stdout.write(`${READY_PREFIX}${running.url}\n`);
  const shutdown = () => {
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`bare server: stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`bare server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
