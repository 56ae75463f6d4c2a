import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { isUniqueViolation, SqlService, StatisticsService, type SqlRunner } from '@rollcall/database';
import { memberships } from '@rollcall/groups';
import type { ScimCaller } from '@rollcall/tokens';
import { isUuid, USER_FILTER_TARGET } from '../filter';
import { applyPatch, parsePatchBody, patchAssignments, type PatchOperation } from '../patch';
import { parseProjection, type Projection, type ProjectionOptions } from '../projection';
import {
  assignedChangesSql,
  changesSql,
  checkResourceSize,
  isPlainObject,
  passwordChangeSql,
  normalizeResource,
  type JsonObject,
  type ScimResource,
} from '../resource';
import { USER_RESOURCE } from '../schema';
import { ScimException } from '../scim.exception';
import { ScimResourceResult } from '../scim-http';
import { ScimPage, type ScimListQuery } from '../scim-list';
import {
  checkVersion,
  directoryQuery,
  exactTotal,
  preconditionFailed,
  qualified,
  resourceNotFound,
} from '../scim-query';
import { checkIndexedText, MAX_ATTRIBUTES_PER_OBJECT, USER_PAGE_BYTES } from '../scim-limits';
import { hashPassword } from '../scim-password';
import {
  eventValues,
  ScimEventsService,
  withEvent,
  type ScimRequestContext,
  type ScimEventStatement,
  type ScimUnchanged,
} from '@rollcall/integrations';

interface UserRow {
  id: string;
  user_name: string;
  active: boolean;
  resource: ScimResource;
  version: number;
  created_at: Date;
  updated_at: Date;
  groups?: { value: string; display: string }[] | null;
}

/** The indexed columns derived from a resource. */
interface UserColumns {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  active: boolean;
}

const RETURNING = 'id, user_name, active, resource, version, created_at, updated_at';
/** What a write returns when the caller holds the resource it stored: it is never read back. */
const WRITTEN = 'id, user_name, active, version, created_at, updated_at';

/** A row of a list page: how many ids the page had before USER_PAGE_BYTES cut it (a bigint, as text). */
interface PageRow extends UserRow {
  page_size: string;
}

/**
 * The groups of the user `u` (an alias of a scim_users row, or of a CTE with its `id` when the tenant and the
 * integration are given, as $1 and $2): the integration's own (pushed) groups it is a member of, from one
 * indexed query.
 */
function groupsOf(u: string, tenant = `${u}.tenant_id`, integration = `${u}.integration_id`): string {
  return `(SELECT coalesce(json_agg(json_build_object('value', g.id, 'display', g.name) ORDER BY g.name, g.id), '[]'::json)
    FROM group_members m JOIN groups g ON g.id = m.group_id AND g.tenant_id = m.tenant_id
   WHERE m.tenant_id = ${tenant} AND m.user_id = ${u}.id AND g.integration_id = ${integration}) AS groups`;
}
const GROUPS_OF = groupsOf('u');

const UPDATE_ATTEMPTS = 5;

/** A PUT's resource ($8) with the `active` it keeps when it leaves `active` out ($7 null), for the user `u`. */
const NEXT_RESOURCE = `($8::jsonb || jsonb_build_object('active', coalesce($7::boolean, u.active)))`;

/**
 * A create, in one statement: the user, its membership of the integration's target group, and the activity
 * event. $1 tenant, $2 integration, $3–$6 the indexed columns, $7 the resource, $8 the password hash, $9 the group.
 */
const INSERT_USER = withEvent(
  `WITH u AS (
     INSERT INTO scim_users (tenant_id, integration_id, user_name, external_id, display_name, active, resource, password_hash, resource_bytes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, octet_length($7::jsonb::text)) RETURNING ${WRITTEN}),
   ${memberships.joinGroupCte('u', 9)}`,
  { cte: 'u', ownParams: 9, resourceType: 'User', nameColumn: 'user_name' },
);

/**
 * The rest of a write that may change nothing (a PUT, an assign PATCH), after its data-modifying CTE `w`, which
 * returns `columns` and `changes`: `f` is the stored user (its `columns`) when `w` wrote nothing, with whether it
 * already was as asked (`unchanged`, an expression of `u`); `e` is the event's row — `changed` with the changes
 * when written, `unchanged` when not written but already as asked and If-Match (`ifMatch`, a parameter, or null)
 * names its version. The statement answers `written`, `unchanged`, the columns and the user's groups.
 */
function writtenOrUnchanged(columns: string, unchanged: string, ifMatch: string): string {
  return `f AS (
     SELECT false AS written, ${unchanged} AS unchanged, ${qualified(columns, 'u')}
       FROM scim_users u
      WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 AND NOT EXISTS (SELECT 1 FROM w)),
   e AS (
     SELECT w.id, w.user_name, w.changes, 'changed' AS outcome FROM w
     UNION ALL
     SELECT f.id, f.user_name, NULL, 'unchanged' FROM f WHERE f.unchanged AND (${ifMatch}::int IS NULL OR f.version = ${ifMatch}))`;
}

/** The event options of a {@link writtenOrUnchanged} statement of `ownParams` parameters returning `columns`. */
function writtenOrUnchangedEvent(columns: string, ownParams: number): ScimEventStatement {
  return {
    cte: 'e',
    ownParams,
    resourceType: 'User',
    nameColumn: 'user_name',
    changesColumn: 'changes',
    outcomeColumn: 'outcome',
    select: `SELECT r.*, ${groupsOf('r', '$1::uuid', '$2::uuid')}
               FROM (SELECT true AS written, false AS unchanged, ${qualified(columns, 'w')} FROM w
                     UNION ALL
                     SELECT * FROM f) r`,
  };
}

/**
 * A PUT, in one statement: the resource replaced whole but for `active`, which, left out, keeps its value (a PUT
 * does not reactivate a deactivated user). $3 the id, $4–$7 the indexed columns ($7 null: `active` left out),
 * $8 the resource, $9 the password hash (null keeps the stored one), $10 the version If-Match requires, or null.
 * A PUT that leaves the user as it was (an identity provider re-sending a user) writes nothing — no new version —
 * and is logged `unchanged`; any other is logged with its changes, from `o`, the same row joined as it was (as in
 * assignStatement). The answer says which (`written`, `unchanged`); when it says neither, another writer came
 * first and nothing was written or logged: the caller runs the statement again. The row answered when nothing was
 * written (`f`) is the user as it was, whatever its version, for the caller to check If-Match against.
 */
const REPLACE_USER = withEvent(
  `WITH w AS (
     UPDATE scim_users u
        SET user_name = $4, external_id = $5, display_name = $6, active = coalesce($7::boolean, u.active),
            resource = ${NEXT_RESOURCE}, resource_bytes = octet_length(${NEXT_RESOURCE}::text),
            password_hash = coalesce($9, u.password_hash), version = u.version + 1, updated_at = now()
       FROM scim_users o
      WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 AND ($10::int IS NULL OR u.version = $10)
        AND o.tenant_id = $1 AND o.integration_id = $2 AND o.id = $3 AND o.version = u.version
        AND (u.resource IS DISTINCT FROM ${NEXT_RESOURCE} OR $9::text IS NOT NULL)
      RETURNING ${qualified(WRITTEN, 'u')},
                ${changesSql('o.resource', 'u.resource', { extra: passwordChangeSql('$9::text') })} AS changes),
   ${writtenOrUnchanged(WRITTEN, `u.resource = ${NEXT_RESOURCE} AND $9::text IS NULL`, '$10')}`,
  writtenOrUnchangedEvent(WRITTEN, 10),
);

/**
 * A new state of a user computed from the one read at `version` ($4), written only if the user is still at that
 * version. $5–$8 the indexed columns, $9 the resource, $10 the password hash (null keeps the stored one). `o` is
 * the row as it was, for the event's changes.
 */
const UPDATE_USER = withEvent(
  `WITH u AS (
     UPDATE scim_users u
        SET user_name = $5, external_id = $6, display_name = $7, active = $8, resource = $9,
            resource_bytes = octet_length($9::jsonb::text), password_hash = COALESCE($10, u.password_hash),
            version = u.version + 1, updated_at = now()
       FROM scim_users o
      WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 AND u.version = $4
        AND o.tenant_id = $1 AND o.integration_id = $2 AND o.id = $3 AND o.version = $4
      RETURNING ${qualified(WRITTEN, 'u')}, ${GROUPS_OF},
                ${changesSql('o.resource', 'u.resource', { extra: passwordChangeSql('$10::text') })} AS changes)`,
  { cte: 'u', ownParams: 10, resourceType: 'User', nameColumn: 'user_name', changesColumn: 'changes' },
);

/**
 * A PATCH that only assigns values (see patchAssignments), in one statement that never reads the user first: the
 * database merges the assignments ($4; $7 their top-level names) into the stored resource when the user is at the
 * version If-Match requires ($5, or null), they change something, and the result stays within the limits
 * applyPatch checks — the size ($6: the request body limit; the stored size plus the assignments' is an upper
 * bound of the result's, and PostgreSQL's JSON text never takes fewer bytes than JavaScript's) and the attribute
 * counts. Otherwise nothing is written and the answer is the stored user as it was, and whether it already holds
 * the assignments (`unchanged`: logged so when If-Match, if any, names its version). `o`, the same row joined as it
 * was, gives the written event its changes; it is the row updated unless another writer came first, when nothing
 * is written (the caller then applies the PATCH itself).
 *
 * `merged` is the stored resource with the assignments merged in: with a plain `||` when they are all top-level
 * values (ASSIGN_USER), one level down for an object (`name`, ASSIGN_USER_NESTED), whose count is checked too.
 */
function assignStatement(merged: string, nested: boolean, changes: string): string {
  return withEvent(
    `WITH w AS (
       UPDATE scim_users u
          SET resource = ${merged}, resource_bytes = octet_length((${merged})::text),
              user_name = coalesce($4::jsonb ->> 'userName', u.user_name),
              external_id = CASE WHEN $4::jsonb ? 'externalId' THEN $4::jsonb ->> 'externalId' ELSE u.external_id END,
              display_name = CASE WHEN $4::jsonb ? 'displayName' THEN $4::jsonb ->> 'displayName' ELSE u.display_name END,
              active = coalesce(($4::jsonb ->> 'active')::boolean, u.active),
              version = u.version + 1, updated_at = now()
         FROM scim_users o
        WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 AND ($5::int IS NULL OR u.version = $5)
          AND o.tenant_id = $1 AND o.integration_id = $2 AND o.id = $3 AND o.version = u.version
          AND NOT u.resource @> $4::jsonb
          AND u.resource_bytes + octet_length($4::jsonb::text) <= $6
          AND (u.resource ?& $7::text[]
               OR (SELECT count(*) FROM jsonb_object_keys(u.resource)) + cardinality($7::text[]) <= ${MAX_ATTRIBUTES_PER_OBJECT})
          ${
            nested
              ? `AND NOT EXISTS (SELECT 1 FROM jsonb_each($4::jsonb) d
                                  WHERE jsonb_typeof(d.value) = 'object'
                                    AND (SELECT count(*) FROM jsonb_object_keys(coalesce(u.resource -> d.key, '{}'::jsonb)))
                                      + (SELECT count(*) FROM jsonb_object_keys(d.value)) > ${MAX_ATTRIBUTES_PER_OBJECT})`
              : ''
          }
        RETURNING ${qualified(RETURNING, 'u')}, ${changes} AS changes),
     ${writtenOrUnchanged(RETURNING, 'u.resource @> $4::jsonb', '$5')}`,
    writtenOrUnchangedEvent(RETURNING, 7),
  );
}

const ASSIGN_USER = assignStatement(
  'u.resource || $4::jsonb',
  false,
  assignedChangesSql('o.resource', 'u.resource', '$4::jsonb', false),
);
const ASSIGN_USER_NESTED = assignStatement(
  `u.resource || (SELECT jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(d.value) = 'object'
     THEN coalesce(u.resource -> d.key, '{}'::jsonb) || d.value ELSE d.value END) FROM jsonb_each($4::jsonb) d)`,
  true,
  assignedChangesSql('o.resource', 'u.resource', '$4::jsonb', true),
);

/** Locks a user ($3) for the rest of the transaction. */
const LOCK_USER = `SELECT 1 FROM scim_users WHERE tenant_id = $1 AND integration_id = $2 AND id = $3 FOR UPDATE`;

const DELETE_USER = withEvent(
  `WITH u AS (DELETE FROM scim_users WHERE tenant_id = $1 AND integration_id = $2 AND id = $3
                AND ($4::int IS NULL OR version = $4) RETURNING id, user_name)`,
  { cte: 'u', ownParams: 4, resourceType: 'User', nameColumn: 'user_name' },
);

/** A row of ASSIGN_USER(_NESTED). */
interface AssignedRow extends UserRow {
  written: boolean;
  unchanged: boolean;
}

/**
 * A row of REPLACE_USER: whether the PUT changed the user (and was written), left it as it was, or neither (another
 * writer came first).
 */
interface ReplacedRow extends UserRow {
  written: boolean;
  unchanged: boolean;
}

/** A user's next state, computed from its current one by a PATCH. */
interface UserChange {
  resource: ScimResource;
  /** `resource` as JSON, when it was serialised already (to check its size). */
  json?: string;
  /** The cleartext password the request sets; it depends on the request only, never on the current state. */
  password?: string;
  changed: boolean;
}

/** SCIM /Users of one integration's directory. Every query is scoped by tenant and integration. */
@Injectable()
export class ScimUsersService {
  private readonly baseUrl: string;
  private readonly maxResourceBytes: number;
  readonly maxResultsLimit: number;

  constructor(
    private readonly sql: SqlService,
    private readonly statistics: StatisticsService,
    private readonly events: ScimEventsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = `${config.publicUrl}/scim/v2`;
    this.maxResourceBytes = config.bodyLimitBytes;
    this.maxResultsLimit = config.scimMaxResults;
  }

  async create(
    ctx: ScimRequestContext,
    body: unknown,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const projection = parseProjection(options, USER_RESOURCE);
    const { resource, password } = normalizeResource(body, USER_RESOURCE, 'create');
    const columns = columnsOf(resource);
    const passwordHash = password === undefined ? null : await hashPassword(password);
    const params = [
      caller.tenantId,
      caller.integrationId,
      columns.userName,
      columns.externalId,
      columns.displayName,
      columns.active,
      resource,
      passwordHash,
      caller.groupId,
      ...eventValues(ctx, 201),
    ];
    const rows = await uniqueUserName(columns.userName, () =>
      this.sql.query<UserRow>(INSERT_USER, params, true),
    );
    this.events.changeLogged();
    this.statistics.noteWrites('scim_users', 1);
    this.statistics.noteWrites('group_members', 1);
    return this.result({ ...rows[0], resource, groups: [] }, projection);
  }

  async get(caller: ScimCaller, id: string, options: ProjectionOptions): Promise<ScimResourceResult> {
    const projection = parseProjection(options, USER_RESOURCE);
    const row = await this.find(caller, id, projection.wants('groups'));
    if (!row) throw notFound(id);
    return this.result(row, projection);
  }

  /** The resource's current version, for a write's precondition (404 when there is no such resource). */
  async currentVersion(caller: ScimCaller, id: string): Promise<number> {
    if (!isUuid(id)) throw notFound(id);
    const rows = await this.sql.query<{ version: number }>(
      'SELECT version FROM scim_users WHERE tenant_id = $1 AND integration_id = $2 AND id = $3',
      [caller.tenantId, caller.integrationId, id],
      true,
    );
    if (!rows[0]) throw notFound(id);
    return rows[0].version;
  }

  async list(caller: ScimCaller, q: ScimListQuery): Promise<ScimPage> {
    const projection = parseProjection(q, USER_RESOURCE);
    const { where, params, order, offset } = directoryQuery(caller, q, USER_FILTER_TARGET);
    let rows: PageRow[] = [];
    if (q.count > 0) {
      const groups = projection.wants('groups') ? `, ${GROUPS_OF}` : '';
      // The page is chosen on ids alone (an index-only scan when unfiltered), then its rows are read: skipped
      // rows never cost a heap read or a groups look-up, whatever the startIndex. Between the two, the page is
      // cut at USER_PAGE_BYTES of stored JSON (a running sum of resource_bytes, read without the resource), so
      // the rows past the budget never leave the database; the first row always stays. `page_size` is how many
      // ids the page had before the cut, which is what tells whether more follow.
      rows = await this.sql.query<PageRow>(
        `SELECT ${qualified(RETURNING, 'u')}${groups}, b.page_size
           FROM (SELECT p.id, p.ord, p.page_size,
                        sum(s.resource_bytes) OVER (ORDER BY p.ord ROWS UNBOUNDED PRECEDING) AS page_bytes
                   FROM (SELECT page.id, row_number() OVER () AS ord, count(*) OVER () AS page_size
                           FROM (SELECT u.id FROM scim_users u WHERE ${where}
                                  ${order} LIMIT ${q.count} OFFSET ${offset}) page) p
                   JOIN scim_users s ON s.id = p.id AND s.tenant_id = $1) b
           JOIN scim_users u ON u.id = b.id AND u.tenant_id = $1
          WHERE b.ord = 1 OR b.page_bytes <= ${USER_PAGE_BYTES}
          ORDER BY b.ord`,
        params,
      );
    }
    // Cut short by the budget or not, the page's rows before the cut say whether the directory ends here.
    const pageSize = rows.length > 0 ? Number(rows[0].page_size) : 0;
    const total = await exactTotal(pageSize, q, () =>
      this.sql.query<{ n: string }>(`SELECT count(*) AS n FROM scim_users u WHERE ${where}`, params),
    );
    return new ScimPage(
      rows.map((r) => this.render(r, projection)),
      total,
      q.startIndex,
    );
  }

  async replace(
    ctx: ScimRequestContext,
    id: string,
    body: unknown,
    ifMatch: number | undefined,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const projection = parseProjection(options, USER_RESOURCE);
    const { resource, password } = normalizeResource(body, USER_RESOURCE, 'replace');
    if (!isUuid(id)) throw notFound(id);
    const keepsActive = resource.active === undefined;
    const columns = columnsOf(resource);
    // Hashed before the statement: scrypt takes tens of milliseconds, which no row lock should wait for.
    const passwordHash = password === undefined ? null : await hashPassword(password);
    for (let attempt = 1; ; attempt++) {
      const params = [
        caller.tenantId,
        caller.integrationId,
        id,
        columns.userName,
        columns.externalId,
        columns.displayName,
        keepsActive ? null : columns.active,
        resource,
        passwordHash,
        ifMatch ?? null,
        ...eventValues(ctx, 200),
      ];
      // After a few lost races (the statement writes nothing when another writer came first), the last attempt
      // locks the user first, so that it cannot lose.
      const locked = attempt === UPDATE_ATTEMPTS;
      const rows = await uniqueUserName(columns.userName, () =>
        locked
          ? this.sql.transaction(async (tx) => {
              await tx.query(LOCK_USER, [caller.tenantId, caller.integrationId, id]);
              return tx.query<ReplacedRow>(REPLACE_USER, params);
            })
          : this.sql.query<ReplacedRow>(REPLACE_USER, params, true),
      );
      const [row] = rows;
      if (!row) throw notFound(id);
      if (!row.written) {
        checkVersion(ifMatch, row.version);
        // Another writer came first: with If-Match, the version it required is gone.
        if (!row.unchanged && ifMatch !== undefined) throw preconditionFailed();
        if (!row.unchanged) continue;
      }
      this.events.changeLogged(row.written ? 'changed' : 'unchanged');
      resource.active = row.active;
      return this.result({ ...row, resource }, projection);
    }
  }

  async patch(
    ctx: ScimRequestContext,
    id: string,
    body: unknown,
    ifMatch: number | undefined,
    options: ProjectionOptions,
  ): Promise<ScimResourceResult> {
    const projection = parseProjection(options, USER_RESOURCE);
    const operations = parsePatchBody(body);
    if (!isUuid(id)) throw notFound(id);
    const assignments = userAssignments(operations);
    if (assignments) {
      const row = await this.assign(ctx, id, assignments, ifMatch);
      if (row) return this.result(row, projection);
    }
    return this.update(ctx, id, ifMatch, projection, (current) => {
      const patched = applyPatch(current.resource, operations, USER_RESOURCE, { resourceId: id });
      const json = patched.changed
        ? checkResourceSize('User', patched.resource, this.maxResourceBytes)
        : undefined;
      return { ...patched, json, changed: patched.changed || patched.password !== undefined };
    });
  }

  /**
   * A PATCH that only assigns values, applied by the database in one statement (assignStatement). Undefined when it
   * could not be applied so (a limit might be reached, or another writer came first): the caller then reads the
   * user and applies the PATCH itself, which also answers its errors.
   */
  private async assign(
    ctx: ScimRequestContext,
    id: string,
    assignments: JsonObject,
    ifMatch: number | undefined,
  ): Promise<UserRow | undefined> {
    const { caller } = ctx;
    const names = Object.keys(assignments);
    const params = [
      caller.tenantId,
      caller.integrationId,
      id,
      assignments,
      ifMatch ?? null,
      this.maxResourceBytes,
      names,
      ...eventValues(ctx, 200),
    ];
    const nested = names.some((name) => isPlainObject(assignments[name]));
    const rows = await uniqueUserName(String(assignments.userName), () =>
      this.sql.query<AssignedRow>(nested ? ASSIGN_USER_NESTED : ASSIGN_USER, params, true),
    );
    const [row] = rows;
    if (!row) throw notFound(id);
    if (row.written) {
      this.events.changeLogged();
      return row;
    }
    checkVersion(ifMatch, row.version);
    if (!row.unchanged) return undefined;
    this.events.changeLogged('unchanged');
    return row;
  }

  /**
   * Reads the user, computes its new state and writes it if nobody changed it in between; otherwise computes
   * again. With If-Match a lost race is a 412. Without it the client asked for no precondition, so after a
   * few lost races the last attempt reads and writes under a row lock rather than answer 412.
   * A password is hashed once, by the first attempt, outside any transaction: scrypt takes tens of
   * milliseconds, which no retry should repeat and no row lock should wait for.
   */
  private async update(
    ctx: ScimRequestContext,
    id: string,
    ifMatch: number | undefined,
    projection: Projection,
    change: (current: UserRow) => UserChange,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    let passwordHash: string | null | undefined;
    for (let attempt = 1; ; attempt++) {
      const current = await this.find(caller, id, false);
      if (!current) throw notFound(id);
      checkVersion(ifMatch, current.version);
      const next = change(current);
      if (!next.changed) {
        await this.events.recordUnchanged(this.sql, ctx, unchangedUser(current), 200);
        return this.result(await this.withGroups(caller, current, projection), projection);
      }
      const json = jsonOf(next);
      const columns = columnsOf(next.resource);
      passwordHash ??= next.password === undefined ? null : await hashPassword(next.password);
      if (attempt === UPDATE_ATTEMPTS && ifMatch === undefined) {
        return this.updateLocked(ctx, id, projection, change, passwordHash);
      }
      try {
        const written = await this.write(ctx, current, next.resource, json, columns, passwordHash);
        return this.result(written, projection);
      } catch (e) {
        if (!(e instanceof VersionConflict)) throw e;
        if (ifMatch !== undefined) throw preconditionFailed();
      }
    }
  }

  /**
   * The last attempt of `update`: read, change and write in one transaction no other writer can interleave.
   * `passwordHash` was computed before, from the same request.
   */
  private async updateLocked(
    ctx: ScimRequestContext,
    id: string,
    projection: Projection,
    change: (current: UserRow) => UserChange,
    passwordHash: string | null,
  ): Promise<ScimResourceResult> {
    const { caller } = ctx;
    const { row, changed } = await this.sql.transaction(async (tx) => {
      const [current] = await tx.query<UserRow>(
        `SELECT ${qualified(RETURNING, 'u')} FROM scim_users u
          WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3 FOR UPDATE`,
        [caller.tenantId, caller.integrationId, id],
      );
      if (!current) throw notFound(id);
      const next = change(current);
      if (!next.changed) {
        await this.events.recordUnchanged(tx, ctx, unchangedUser(current), 200, false);
        return { row: current, changed: false };
      }
      const json = jsonOf(next);
      const written = await this.write(
        ctx,
        current,
        next.resource,
        json,
        columnsOf(next.resource),
        passwordHash,
        tx,
      );
      return { row: written, changed: true };
    });
    this.events.changeLogged(changed ? 'changed' : 'unchanged');
    return this.result(changed ? row : await this.withGroups(caller, row, projection), projection);
  }

  async delete(ctx: ScimRequestContext, id: string, ifMatch: number | undefined): Promise<void> {
    const { caller } = ctx;
    if (!isUuid(id)) throw notFound(id);
    const params = [caller.tenantId, caller.integrationId, id, ifMatch ?? null, ...eventValues(ctx, 204)];
    const rows = await this.sql.query<{ id: string; user_name: string }>(DELETE_USER, params, true);
    if (rows.length === 0) {
      if (ifMatch !== undefined && (await this.find(caller, id, false))) throw preconditionFailed();
      throw notFound(id);
    }
    this.events.changeLogged();
  }

  /**
   * Stores the next state of the user, if nobody changed it since `current` was read; `json` is `resource` as
   * JSON, when it was serialised already. A null `passwordHash` keeps the stored one.
   */
  private async write(
    ctx: ScimRequestContext,
    current: UserRow,
    resource: ScimResource,
    json: string | undefined,
    columns: UserColumns,
    passwordHash: string | null,
    tx?: SqlRunner,
  ): Promise<UserRow> {
    const { caller } = ctx;
    const params = [
      caller.tenantId,
      caller.integrationId,
      current.id,
      current.version,
      columns.userName,
      columns.externalId,
      columns.displayName,
      columns.active,
      json ?? resource,
      passwordHash,
      ...eventValues(ctx, 200),
    ];
    const rows = await uniqueUserName(columns.userName, () =>
      tx ? tx.query<UserRow>(UPDATE_USER, params) : this.sql.query<UserRow>(UPDATE_USER, params, true),
    );
    if (rows.length === 0) throw new VersionConflict();
    // Within a transaction (updateLocked), the event counts once it commits.
    if (!tx) this.events.changeLogged();
    return { ...rows[0], resource };
  }

  private async find(caller: ScimCaller, id: string, withGroups: boolean): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.sql.query<UserRow>(
      `SELECT ${qualified(RETURNING, 'u')}${withGroups ? `, ${GROUPS_OF}` : ''}
         FROM scim_users u WHERE u.tenant_id = $1 AND u.integration_id = $2 AND u.id = $3`,
      [caller.tenantId, caller.integrationId, id],
      true,
    );
    return rows[0];
  }

  private async withGroups(caller: ScimCaller, row: UserRow, projection: Projection): Promise<UserRow> {
    if (!projection.wants('groups')) return row;
    return (await this.find(caller, row.id, true)) ?? row;
  }

  private result(row: UserRow, projection: Projection): ScimResourceResult {
    const location = `${this.baseUrl}/Users/${row.id}`;
    return new ScimResourceResult(this.render(row, projection), row.version, location);
  }

  /** The SCIM representation of a stored user, projected. */
  private render(row: UserRow, projection: Projection): Record<string, unknown> {
    const { schemas, ...rest } = row.resource;
    const full: Record<string, unknown> = { schemas, id: row.id, ...rest };
    if (row.groups && row.groups.length > 0) {
      full.groups = row.groups.map((g) => ({
        value: g.value,
        display: g.display,
        $ref: `${this.baseUrl}/Groups/${g.value}`,
        type: 'direct',
      }));
    }
    full.meta = {
      resourceType: 'User',
      created: toIso(row.created_at),
      lastModified: toIso(row.updated_at),
      location: `${this.baseUrl}/Users/${row.id}`,
      version: `W/"${row.version}"`,
    };
    return projection.apply(full);
  }
}

class VersionConflict extends Error {}

function toIso(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function columnsOf(resource: ScimResource): UserColumns {
  const userName = resource.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw new ScimException(400, 'invalidValue', 'userName is required');
  }
  checkIndexedText('userName', userName);
  const active = resource.active === undefined ? true : resource.active;
  if (typeof active !== 'boolean') throw new ScimException(400, 'invalidValue', 'active must be a boolean');
  resource.active = active;
  const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
  if (externalId !== null) checkIndexedText('externalId', externalId);
  const displayName = typeof resource.displayName === 'string' ? resource.displayName : null;
  return { userName, externalId, displayName, active };
}

/**
 * What a PATCH assigns when the database can apply it as it is (patchAssignments), with the indexed values
 * within their limits; undefined otherwise.
 */
function userAssignments(operations: readonly PatchOperation[]): JsonObject | undefined {
  const assignments = patchAssignments(operations, USER_RESOURCE);
  if (!assignments) return undefined;
  const { userName, externalId } = assignments;
  try {
    if (typeof userName === 'string') checkIndexedText('userName', userName);
    if (typeof externalId === 'string') checkIndexedText('externalId', externalId);
  } catch {
    return undefined;
  }
  return assignments;
}

/** The JSON of a changed resource, unless columnsOf is about to give it the `active` it lacks. */
function jsonOf(change: UserChange): string | undefined {
  return change.resource.active === undefined ? undefined : change.json;
}

/** A user a PATCH left as it was, for its `unchanged` event. */
function unchangedUser(row: UserRow): ScimUnchanged {
  return { resourceType: 'User', resourceId: row.id, resourceName: row.user_name };
}

function userNameTaken(userName: string): ScimException {
  return new ScimException(409, 'uniqueness', `userName "${userName}" is already taken`);
}

/** Runs a write that sets `userName`: a name another user of the directory has is a 409 `uniqueness`. */
async function uniqueUserName<T>(userName: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isUniqueViolation(e, 'UQ_scim_users_user_name')) throw userNameTaken(userName);
    throw e;
  }
}

function notFound(id: string): ScimException {
  return resourceNotFound('User', id);
}
